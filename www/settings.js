// The settings panel: the network base URLs (PLC directory, DNS-over-HTTPS, /.well-known host,
// relay). Taken from the page's query parameters at load (so a link — or a test — can point the
// page at other servers), written back to them as they change, and read from the fields whenever a
// panel starts a request.
import { DEFAULT_SETTINGS } from './network.js';
import { byId } from './ui.js';

/** Each setting's field and query parameter. */
const FIELDS = {
  plcDirectory: { id: 'setting-plc', param: 'plc' },
  dohUrl: { id: 'setting-doh', param: 'doh' },
  hostUrl: { id: 'setting-host', param: 'host' },
  relay: { id: 'setting-relay', param: 'relay' },
};

/** The settings as the fields hold them (an emptied field means its default). */
export function currentSettings() {
  return Object.fromEntries(Object.entries(FIELDS).map(([name, { id }]) => [name, byId(id).value.trim() || DEFAULT_SETTINGS[name]]));
}

/** Calls `listener(settings)` now and after every change. */
export function watchSettings(listener) {
  listener(currentSettings());
  byId('settings-form').addEventListener('input', () => listener(currentSettings()));
}

export function setupSettings() {
  const form = byId('settings-form');
  const params = new URLSearchParams(location.search);
  for (const [name, { id, param }] of Object.entries(FIELDS)) byId(id).value = params.get(param) ?? DEFAULT_SETTINGS[name];

  // Keeps the non-default settings in the address, the page's other parameters untouched.
  const remember = () => {
    const url = new URL(location.href);
    const settings = currentSettings();
    for (const [name, { param }] of Object.entries(FIELDS)) {
      if (settings[name] === DEFAULT_SETTINGS[name]) url.searchParams.delete(param);
      else url.searchParams.set(param, settings[name]);
    }
    history.replaceState(null, '', url);
  };
  form.addEventListener('input', remember);
  form.addEventListener('submit', (event) => event.preventDefault());
  byId('settings-reset').addEventListener('click', () => {
    for (const [name, { id }] of Object.entries(FIELDS)) byId(id).value = DEFAULT_SETTINGS[name];
    form.dispatchEvent(new Event('input'));
  });
}

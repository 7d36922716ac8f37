// Small helpers the panels share: building elements, showing errors (an AtproofError's code and
// message, whether the error was thrown here or came back from a worker as plain data), numbers.

/** `document.getElementById`, failing loudly on a typo. */
export function byId(id) {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`no element #${id}`);
  return element;
}

/** A new element with properties (`dataset` merged, the rest assigned) and children. */
export function element(tag, properties = {}, ...children) {
  const made = document.createElement(tag);
  const { dataset, ...rest } = properties;
  Object.assign(made, rest);
  Object.assign(made.dataset, dataset);
  made.append(...children);
  return made;
}

/** "[code] message" for an AtproofError, the message alone for anything else. */
export function describeError(error) {
  const message = error?.message ?? String(error);
  return error?.code ? `[${error.code}] ${message}` : message;
}

/** Shows `error` in an alert element (role="alert": read out at once) and keeps its code for tests. */
export function showError(alert, error) {
  alert.textContent = describeError(error);
  alert.dataset.code = error?.code ?? '';
  alert.hidden = false;
}

/** Hides an alert element again. */
export function clearError(alert) {
  alert.textContent = '';
  alert.dataset.code = '';
  alert.hidden = true;
}

const numbers = new Intl.NumberFormat('en');
/** 1234567 → "1,234,567". */
export const count = (n) => numbers.format(n);

/** 336379 → "328.5 KiB". */
export function bytes(n) {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) { n /= 1024; unit++; }
  return unit === 0 ? `${count(n)} bytes` : `${n.toFixed(1)} ${units[unit]}`;
}

/** Fills a <dl> with [term, value] pairs; a value may be a node. */
export function fillList(list, pairs) {
  list.replaceChildren(...pairs.flatMap(([term, value]) => [element('dt', {}, term), element('dd', {}, value)]));
}

/** Runs `task` with the `controls` disabled (so it is not started twice meanwhile), then enables them. */
export async function busy(controls, task) {
  for (const control of controls) control.disabled = true;
  try {
    return await task();
  } finally {
    for (const control of controls) control.disabled = false;
  }
}

/**
 * The account a user typed, as a handle or DID: "@alice.bsky.social", "at://alice.bsky.social"
 * and an AT-URI's authority ("at://did:plc:…/app.bsky.feed.post/…") are accepted as people paste
 * them.
 */
export function accountInput(text) {
  const trimmed = text.trim().replace(/^@/, '');
  return trimmed.startsWith('at://') ? trimmed.slice('at://'.length).split('/')[0] : trimmed;
}

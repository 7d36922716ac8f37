// The page's entry module: loads the atproof package once (./pkg/browser.js fetches and compiles
// atproof_bg.wasm next to itself), then sets up the settings and each panel. A package that does
// not load — www/pkg/ missing: run www/build.sh — is said on the page instead of failing silently.
const loadStatus = document.getElementById('load-status');
try {
  await import('./pkg/browser.js');
} catch (error) {
  loadStatus.dataset.state = 'failed';
  loadStatus.textContent = `atproof could not be loaded (${error.message}). Is www/pkg/ there? Run www/build.sh.`;
  // Nothing can run without it: the controls say so instead of doing a plain form submission.
  for (const control of document.querySelectorAll('main button, main input, main textarea')) control.disabled = true;
  throw error;
}

const [{ setupSettings }, { setupRepoPanel }, { setupDidPanel }, { setupFirehosePanel }, { setupWritePanel }] = await Promise.all([
  import('./settings.js'), import('./repo-panel.js'), import('./did-panel.js'), import('./firehose-panel.js'), import('./write-panel.js'),
]);
setupSettings();
setupRepoPanel();
setupDidPanel();
setupFirehosePanel();
setupWritePanel();
loadStatus.dataset.state = 'ready';
loadStatus.textContent = 'atproof is loaded: every check on this page runs here, in WebAssembly.';

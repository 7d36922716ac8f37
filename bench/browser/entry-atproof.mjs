// Chromium bundle for atproof: the package's browser entry (fetches atproof_bg.wasm next to the bundle).
import * as atproof from '../../pkg/browser.js';
import { install } from './page.mjs';
install('atproof', { atproof });

// Chromium bundle for @did-plc/lib, the reference did:plc library. Its published dist is one Node
// bundle (it carries @atproto/crypto 0.1.0, @atproto/common 0.1.1, pino and axios inside and
// require()s Node built-ins), so the built-ins are replaced by shims/didplc-builtins.mjs.
import * as plc from '@did-plc/lib';
import { install } from './page.mjs';
install('didplc', { '@did-plc/lib': plc });

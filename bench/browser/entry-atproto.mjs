// Chromium bundle for the @atproto side (the reference implementation), built with shims/ for the
// Node built-ins it imports.
import * as crypto from '@atproto/crypto';
import * as lexCbor from '@atproto/lex-cbor';
import * as lexData from '@atproto/lex-data';
import * as repo from '@atproto/repo';
import { install } from './page.mjs';
install('atproto', { '@atproto/crypto': crypto, '@atproto/lex-cbor': lexCbor, '@atproto/lex-data': lexData, '@atproto/repo': repo });

// Chromium bundle for the @atcute side (their browser builds: WebCrypto, @noble/secp256k1).
import * as car from '@atcute/car';
import * as cbor from '@atcute/cbor';
import * as cid from '@atcute/cid';
import * as crypto from '@atcute/crypto';
import * as mst from '@atcute/mst';
import * as repo from '@atcute/repo';
import { install } from './page.mjs';
install('atcute', { '@atcute/car': car, '@atcute/cbor': cbor, '@atcute/cid': cid, '@atcute/crypto': crypto, '@atcute/mst': mst, '@atcute/repo': repo });

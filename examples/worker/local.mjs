// Both workers in one for local runs under workerd (config.capnp): the record worker is the
// default entrypoint, the firehose worker the entrypoint named `firehose`. Deployed, each is its
// own Worker (wrangler.record.jsonc, wrangler.firehose.jsonc).
export { default } from './record.mjs';
export { default as firehose } from './firehose.mjs';

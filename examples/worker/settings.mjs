// The workers' configuration: env bindings (text values; unset is null under workerd's
// fromEnvironment and undefined under wrangler) read into resolveIdentity's options, so that
// both workers resolve accounts the same way and tests can point every lookup at loopback.

/** Reads a text binding; unset or empty is `undefined`. */
export const setting = (env, name) => env[name] || undefined;

/**
 * resolveIdentity's options from the bindings PLC_DIRECTORY, DOH_URL, HOST_URL (where a
 * handle's /.well-known/atproto-did and a did:web's did.json are fetched: `{host}` in it is
 * replaced by the host name) and VERIFY_PLC_LOG ("true": re-derive did:plc documents from their
 * verified audit logs). An unset binding keeps resolveIdentity's default (the public services).
 */
export function identityOptions(env) {
  const hostUrl = setting(env, 'HOST_URL');
  const options = {
    plcDirectory: setting(env, 'PLC_DIRECTORY'),
    dohUrl: setting(env, 'DOH_URL'),
    hostUrl: hostUrl && ((host) => hostUrl.replaceAll('{host}', host)),
    verifyPlcLog: setting(env, 'VERIFY_PLC_LOG') === 'true',
  };
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

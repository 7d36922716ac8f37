// The options object of a call: none (undefined) means no options; anything else that is not an
// object is refused as every wrong argument is (`invalid-argument`), not left to destructuring,
// whose TypeError for `null` would be the one failure that is not an AtproofError.

/** `value` as an options object ({} for undefined); `what` names it in the error. */
export function optionsOf(value, what, AtproofError) {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object') {
    throw new AtproofError('invalid-argument', `${what} must be an object, not ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

// Every runtime-independent suite, by name.
import syntax from './syntax.mjs';
import dataModel from './data-model.mjs';
import crypto from './crypto.mjs';
import repo from './repo.mjs';
import state from './state.mjs';
import firehose from './firehose.mjs';
import identity from './identity.mjs';
import writing from './writing.mjs';

export const SUITES = { syntax, 'data-model': dataModel, crypto, repo, state, firehose, identity, writing };

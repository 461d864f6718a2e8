/** English, the language every other catalog follows (web/src/i18n/types.ts): both of its parts,
 * for the types and the tests; the client loads the parts apart (en-core.ts, en-rest.ts). */
import { core } from './en-core.js';
import { rest } from './en-rest.js';

export const en = { ...core, ...rest };

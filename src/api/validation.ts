import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import { MAX_VALIDATION_ERRORS, quote } from '../core/errors.js';
import { sharedCompile } from './lazy-schemas.js';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

const common: Options = { removeAdditional: false, useDefaults: true, allErrors: true, strict: false };

/** The problems of a failed validation, the first MAX_VALIDATION_ERRORS of them, with how many there were. */
export type CappedErrors = ErrorObject[] & { total?: number };

function capped(validate: ValidateFunction): ValidateFunction {
  const run = ((data: unknown, cxt?: unknown) => {
    const ok = (validate as (data: unknown, cxt?: unknown) => boolean)(data, cxt);
    const errors = validate.errors ?? [];
    run.errors = ok ? null : Object.assign(errors.slice(0, MAX_VALIDATION_ERRORS), { total: errors.length });
    return ok;
  }) as ValidateFunction;
  // Fastify passes the parent (so defaults can reach the root) to validators that have one.
  Object.assign(run, { schemaEnv: validate.schemaEnv, schema: validate.schema });
  return run;
}

/**
 * Bodies are validated as sent: a number where a string belongs is a 400, never coerced.
 * Query strings, params and headers arrive as text, so their numbers are coerced from it.
 */
export function validatorCompiler(): FastifySchemaCompiler<FastifySchema> {
  // Each Ajv compiles its meta-schema when made (tens of ms): made on the first route's first
  // request (route schemas compile lazily, src/api/lazy-schemas.ts), not while the app starts.
  let exact: Ajv | undefined;
  let coercing: Ajv | undefined;
  // Every app's compiler is configured the same: what one compiled, the others reuse.
  return ({ schema, httpPart }) => {
    const body = httpPart === 'body';
    return sharedCompile(body ? 'exact' : 'coercing', schema, () => {
      const ajv = body ? (exact ??= addFormats(new Ajv({ ...common, coerceTypes: false }))) : (coercing ??= addFormats(new Ajv({ ...common, coerceTypes: 'array' })));
      return capped(ajv.compile(schema as object));
    });
  };
}

/** Fastify's schemaErrorFormatter: the message of a 400, from the capped problems, of bounded length. */
export function schemaErrorFormatter(errors: CappedErrors, dataVar: string): Error {
  const listed = errors.map((e) => `${dataVar}${quote(e.instancePath)} ${quote(e.message ?? 'is invalid')}`).join(', ');
  const total = errors.total ?? errors.length;
  return new Error(total > errors.length ? `${listed} (and ${total - errors.length} more problems)` : listed);
}

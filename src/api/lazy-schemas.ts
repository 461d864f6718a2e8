/**
 * Route schemas compiled when a route is first used, not at start. Fastify compiles every route's
 * validators (Ajv) and response serializers (fast-json-stringify) while it gets ready: for Parley's
 * ~200 routes that was about half a second of a one-second start, and memory held for routes an
 * installation may never call (OIDC, webhooks, admin). The first request of a route pays its own
 * compilation once (a few milliseconds); `compileAll` does them all (the tests, to prove every
 * schema compiles).
 *
 * What a schema compiles to depends on the schema alone (and, for validators, on the part of the
 * request: bodies are not coerced), so a compiled function serves every route and every app in the
 * process with the same schema (`sharedCompile`): a server compiles the error responses all its
 * routes share once (all 593 schemas: 416 instead of 616 ms of CPU, 4.7 instead of 8.5 MiB held;
 * bench/schema-compile.ts), and the tests, which build hundreds of apps, compile each schema once.
 */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifySchema, FastifySchemaCompiler, FastifySerializerCompiler, FastifyServerOptions } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';

type Serializer = (data: unknown) => string;
type Validator = ((data: unknown, cxt?: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null; schemaEnv?: unknown };

/** Compiled schemas by what they compile from: `kind` (which compiler) and the schema's JSON. */
const compiledInProcess = new Map<string, unknown>();

/** `compile()`'s result for this schema, compiled once per process (validation.ts and the serializers). */
export function sharedCompile<T>(kind: string, schema: unknown, compile: () => T): T {
  const key = `${kind}\n${JSON.stringify(schema)}`;
  let done = compiledInProcess.get(key) as T | undefined;
  if (done === undefined) {
    done = compile();
    compiledInProcess.set(key, done);
  }
  return done;
}

export class LazySchemas {
  private readonly pending = new Set<() => void>();

  /** How many schemas are not compiled yet. */
  get uncompiled(): number {
    return this.pending.size;
  }

  /** Compiles every schema not compiled yet; throws the first failure with its route. */
  compileAll(): void {
    for (const compile of [...this.pending]) compile();
  }

  private deferred<T>(label: () => string, compile: () => T): () => T {
    let done: T | undefined;
    const force = (): T => {
      if (done === undefined) {
        try {
          done = compile();
        } catch (err) {
          throw new Error(`could not compile the schema of ${label()}: ${(err as Error).message}`, { cause: err });
        }
        this.pending.delete(force);
      }
      return done;
    };
    this.pending.add(force);
    return force;
  }

  /** Wraps a validator compiler (src/api/validation.ts) so each schema compiles on first use. */
  validators(compiler: FastifySchemaCompiler<FastifySchema>): FastifySchemaCompiler<FastifySchema> {
    return (route) => {
      const real = this.deferred(
        () => `${route.method} ${route.url} (${route.httpPart})`,
        () => compiler(route) as Validator,
      );
      const run: Validator = (data, cxt) => {
        const validate = real();
        const ok = validate(data, cxt);
        run.errors = validate.errors;
        return ok;
      };
      // Fastify passes the parent to validators that have one, so defaults can reach a root value
      // (Ajv's own functions all have it): the real validator is not known yet, so say so up front.
      run.schemaEnv = true;
      return run;
    };
  }

  /** Fastify's own response serializers (fast-json-stringify), each compiled on first use. */
  serializers(): FastifySerializerCompiler<unknown> {
    const compile = SerializerSelector()();
    return (route) => {
      const real = this.deferred(
        () => `${route.method} ${route.url} (response ${route.httpStatus})`,
        () => sharedCompile('response', route.schema, () => compile(route as Parameters<typeof compile>[0])),
      );
      return ((data: unknown) => real()(data)) as Serializer;
    };
  }
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;

/**
 * The `schemaController.compilersFactory` server option for compilers of our own: given at
 * construction, Fastify does not load its default ones (@fastify/ajv-compiler with an Ajv of its
 * own, ~30 ms of a start) only to have setValidatorCompiler replace them. Fastify's types name
 * @fastify/ajv-compiler's signatures here; at run time the compilers a factory returns are called
 * exactly as those given to setValidatorCompiler and setSerializerCompiler (fastify/lib/schema-controller.js).
 */
export function compilersFactory(validators: FastifySchemaCompiler<FastifySchema>, serializers: FastifySerializerCompiler<unknown>): CompilersFactory {
  return { buildValidator: () => validators, buildSerializer: () => serializers } as unknown as CompilersFactory;
}

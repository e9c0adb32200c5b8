/**
 * The typed tRPC client for TypeScript services: every procedure of the Reins server with its
 * input and output types, over HTTP, with the REST client's API key, base URL and timeout
 * defaults. Failures are `TRPCClientError`s; the docs' error body is in `error.data.reins`.
 */
import { createTRPCClient, httpBatchLink, type TRPCClient } from '@trpc/client';
import type {
  AnyTRPCProcedure,
  TRPCBuiltRouter,
  TRPCMutationProcedure,
  TRPCQueryProcedure,
  inferRouterError,
  inferRouterInputs,
  inferRouterOutputs,
} from '@trpc/server';
import superjson from 'superjson';
import type { AppRouter as ServerRouter } from '@reins/server';
import { ReinsError } from './errors.js';
import { DEFAULT_BASE_URL, DEFAULT_TIMEOUT_MS } from './http.js';

export { TRPCClientError } from '@trpc/client';

/**
 * The server's router as a client sees it. Declaration emit prints the type this function
 * returns in full, because the aliases it is built from are local (not nameable from outside):
 * the published declarations carry every procedure's input, output and error shape as plain
 * data types, and nothing of the server (its context, ORM entities, Fastify, zod schemas).
 * ORM brands on entity fields (`Opt<number>`) become the plain type.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars -- only its return type is used
function clientRouter() {
  // Each member of a union is mapped into a tuple and read back, so the union is rebuilt without
  // the name of the server-side alias it came from (which a declaration could not import).
  type Json<T> = 0 extends 1 & T ? T : (T extends unknown ? [JsonOne<T>] : never)[0];
  // Primitives, literals and null stay; a primitive with a brand (`number & Opt.Brand`) is the
  // primitive; objects are rebuilt property by property.
  type JsonOne<T> = T extends object
    ? T extends string
      ? string
      : T extends number
        ? number
        : T extends boolean
          ? boolean
          : T extends bigint
            ? bigint
            : T extends Date
              ? Date
              : T extends AsyncGenerator<infer Y, infer R, infer N>
                ? AsyncGenerator<Json<Y>, Json<R>, N>
                : T extends (...args: never) => unknown
                  ? T
                  : T extends readonly unknown[]
                    ? T extends unknown[]
                      ? Json<T[number]>[]
                      : readonly Json<T[number]>[]
                    : { [K in keyof T as K extends symbol ? never : K]: Json<T[K]> }
    : T;
  type ErrorShape = Json<inferRouterError<ServerRouter>>;
  type Def<P extends AnyTRPCProcedure> = {
    input: Json<P['_def']['$types']['input']>;
    output: Json<P['_def']['$types']['output']>;
    meta: object;
    // The client reads the router's error shape when a procedure has none of its own.
    errorShape: unknown;
  };
  // Procedures keep their kind; sub-routers become plain records of procedures.
  type Client<P> = P extends AnyTRPCProcedure
    ? P['_def']['type'] extends 'mutation'
      ? TRPCMutationProcedure<Def<P>>
      : P['_def']['type'] extends 'query'
        ? TRPCQueryProcedure<Def<P>>
        : P
    : { [K in keyof P]: Client<P[K]> };
  return undefined as unknown as TRPCBuiltRouter<
    { ctx: object; meta: object; errorShape: ErrorShape; transformer: true },
    Client<ServerRouter['_def']['record']>
  >;
}

/** The Reins server's tRPC router, for `createTRPCClient<AppRouter>` and type inference. */
export type AppRouter = ReturnType<typeof clientRouter>;
/** Every procedure's input: `RouterInputs['transactions']['submit']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Every procedure's output: `RouterOutputs['transactions']['list']['transactions'][number]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** A client made by `createReinsTRPCClient`. */
export type ReinsTRPCClient = TRPCClient<AppRouter>;

export interface ReinsTRPCClientOptions {
  /** `rk_…`; defaults to `process.env.REINS_API_KEY`. */
  apiKey?: string | undefined;
  /** Defaults to `process.env.REINS_BASE_URL`, then `http://127.0.0.1:3000`. */
  baseUrl?: string | undefined;
  /** Per HTTP request (one batch of calls); default 10 s. */
  timeoutMs?: number | undefined;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch | undefined;
  /** More headers for every request, or a function returning them (called per request). */
  headers?:
    | Record<string, string>
    | (() => Record<string, string> | Promise<Record<string, string>>)
    | undefined;
}

function env(name: string): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env[name];
}

/**
 * A typed client of the server's tRPC API (`<baseUrl>/trpc`): calls made in the same tick go in
 * one HTTP request. Throws `ReinsError` (`UNAUTHORIZED`) when there is no API key.
 *
 * ```ts
 * const trpc = createReinsTRPCClient();
 * const { id, action } = await trpc.transactions.submit.mutate({ amount: 320, vendor: 'openai' });
 * ```
 */
export function createReinsTRPCClient(options: ReinsTRPCClientOptions = {}): ReinsTRPCClient {
  const apiKey = options.apiKey ?? env('REINS_API_KEY');
  const baseUrl = (options.baseUrl ?? env('REINS_BASE_URL') ?? DEFAULT_BASE_URL).replace(
    /\/+$/,
    '',
  );
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? globalThis.fetch;
  const extraHeaders = options.headers;
  if (!apiKey) {
    throw new ReinsError('No API key: pass { apiKey } or set REINS_API_KEY', {
      code: 'UNAUTHORIZED',
      status: 401,
    });
  }
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${baseUrl}/trpc`,
        transformer: superjson,
        async headers() {
          const extra = typeof extraHeaders === 'function' ? await extraHeaders() : extraHeaders;
          return { ...extra, authorization: `Bearer ${apiKey}` };
        },
        fetch(input: string | URL | Request, init?: RequestInit) {
          const timeout = AbortSignal.timeout(timeoutMs);
          const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
          return doFetch(input, { ...init, signal });
        },
      }),
    ],
  });
}

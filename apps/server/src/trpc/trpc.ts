import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import superjson from 'superjson';
import type { z } from 'zod';
import type { Core } from '../core.js';
import { createContextInner } from '../context.js';
import type { Caller } from '../machinery/authenticator.js';
import {
  DomainError,
  Unauthorized,
  ValidationError,
  toErrorResponse,
  type ErrorResponse,
} from '../errors.js';
import { checkStorable } from '../schemas/common.js';

/**
 * What the Fastify adapter hands every procedure: the caller it authenticated from the headers
 * before reading the body (null for public procedures); `authedProcedure` refuses a call without.
 */
export interface OuterContext {
  core: Core;
  caller: Caller | null;
  idempotencyKey?: string | null;
}

const TRPC_CODES: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * The answer to a tRPC call refused before it reached tRPC (by the checks made before the body
 * is read): the error as tRPC itself would send it — one per call of a batch — with the docs'
 * body in `data.reins`.
 */
export function trpcErrorBody(res: ErrorResponse, url: string): unknown {
  const [path = '', query = ''] = url.split('?');
  const procedures = path.replace(/^\/trpc\/?/, '').split(',');
  const code = TRPC_CODES[res.status] ?? 'INTERNAL_SERVER_ERROR';
  const one = (procedure: string) => ({
    error: superjson.serialize({
      message: res.body.message,
      code: TRPC_ERROR_CODES_BY_KEY[code],
      data: { code, httpStatus: res.status, path: procedure, reins: res.body },
    }),
  });
  return new URLSearchParams(query).get('batch') === '1'
    ? procedures.map(one)
    : one(procedures[0] ?? '');
}

/** Carries the docs' error body to the client in `error.data.reins`. */
class ReinsTRPCError extends TRPCError {
  constructor(readonly response: ErrorResponse) {
    super({
      code: TRPC_CODES[response.status] ?? 'INTERNAL_SERVER_ERROR',
      message: response.body.message,
    });
  }
}

/**
 * superjson, with input that superjson cannot read (malformed `meta`, paths into `__proto__`,
 * unknown custom types) refused as bad input — a 422 naming the body, not a 500.
 */
const transformer = {
  input: {
    serialize: (v: unknown) => superjson.serialize(v),
    deserialize: (v: unknown) => {
      try {
        return superjson.deserialize(v as Parameters<typeof superjson.deserialize>[0]);
      } catch (err) {
        throw ValidationError.of(
          'body',
          `is not valid superjson (${err instanceof Error ? err.message : String(err)})`,
        );
      }
    },
  },
  output: superjson,
};

/**
 * The errors tRPC itself raises before a procedure runs — an unknown procedure, a query called
 * with POST, `?input=` that is not JSON — as the docs' errors: their own status, code and
 * message, never a 500 "Internal server error".
 */
const OWN_ERRORS: Partial<
  Record<TRPC_ERROR_CODE_KEY, { status: number; code: ErrorResponse['body']['code'] }>
> = {
  PARSE_ERROR: { status: 400, code: 'VALIDATION_ERROR' },
  BAD_REQUEST: { status: 400, code: 'VALIDATION_ERROR' },
  NOT_FOUND: { status: 404, code: 'NOT_FOUND' },
  METHOD_NOT_SUPPORTED: { status: 405, code: 'NOT_FOUND' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' },
  PAYLOAD_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE' },
};

/** The docs' error of any error a call ends with. */
function responseOf(error: TRPCError): ErrorResponse {
  if (error instanceof ReinsTRPCError) return error.response;
  const own = error.cause instanceof DomainError ? undefined : OWN_ERRORS[error.code];
  if (own === undefined) return toErrorResponse(error.cause ?? error);
  const message = error.code === 'PARSE_ERROR' ? 'input: is not valid JSON' : error.message;
  return {
    status: own.status,
    headers: {},
    body: {
      success: false,
      code: own.code,
      message,
      ...(own.code === 'VALIDATION_ERROR' ? { field: 'input' } : {}),
    },
  };
}

const t = initTRPC.context<OuterContext>().create({
  transformer,
  // Never a stack trace in an answer, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const reins = responseOf(error).body;
    const { stack: _stack, ...data } = shape.data as typeof shape.data & { stack?: unknown };
    return { ...shape, data: { ...data, reins } };
  },
});

/** The one error mapping (errors.ts), applied to every procedure. */
const mapErrors = t.middleware(async ({ next }) => {
  const res = await next();
  if (!res.ok && !(res.error instanceof ReinsTRPCError)) {
    throw new ReinsTRPCError(responseOf(res.error));
  }
  return res;
});

/**
 * Types the procedure's input for clients without validating it here: the service validates, so
 * REST and tRPC answer bad input with the same 422 and the same messages. Only what no service
 * could store is refused here, as the REST adapter does (`checkStorable`).
 */
export function rawInput<S extends z.ZodType>(_schema: S): (value: unknown) => z.input<S> {
  return (value) => {
    checkStorable(value);
    return value as z.input<S>;
  };
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapErrors);
export const authedProcedure = publicProcedure.use(async ({ ctx, next }) => {
  if (!ctx.caller) throw new Unauthorized();
  const reins = createContextInner(ctx.core, ctx.caller, ctx.idempotencyKey ?? null);
  return next({ ctx: { ...ctx, reins } });
});

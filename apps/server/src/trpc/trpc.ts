import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import superjson from 'superjson';
import type { z } from 'zod';
import type { Core } from '../core.js';
import { createContext } from '../context.js';
import { toErrorResponse, type ErrorResponse } from '../errors.js';
import { checkStorable } from '../schemas/common.js';

/** What the Fastify adapter hands every procedure: authentication happens in `authedProcedure`. */
export interface OuterContext {
  core: Core;
  authorization: string | undefined;
  idempotencyKey?: string | null;
}

const TRPC_CODES: Record<number, TRPC_ERROR_CODE_KEY> = {
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** Carries the docs' error body to the client in `error.data.reins`. */
class ReinsTRPCError extends TRPCError {
  constructor(readonly response: ErrorResponse) {
    super({
      code: TRPC_CODES[response.status] ?? 'INTERNAL_SERVER_ERROR',
      message: response.body.message,
    });
  }
}

const t = initTRPC.context<OuterContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const reins =
      error instanceof ReinsTRPCError ? error.response.body : toErrorResponse(error.cause).body;
    return { ...shape, data: { ...shape.data, reins } };
  },
});

/** The one error mapping (errors.ts), applied to every procedure. */
const mapErrors = t.middleware(async ({ next }) => {
  const res = await next();
  if (!res.ok && !(res.error instanceof ReinsTRPCError)) {
    throw new ReinsTRPCError(toErrorResponse(res.error.cause ?? res.error));
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
  const reins = await createContext(ctx.core, ctx.authorization, ctx.idempotencyKey ?? null);
  return next({ ctx: { ...ctx, reins } });
});

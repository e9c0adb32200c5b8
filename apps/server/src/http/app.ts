import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import type { Core } from '../core.js';
import { createContext } from '../context.js';
import { checkStorable } from '../schemas/common.js';
import {
  NotFound,
  PayloadTooLarge,
  ServiceUnavailable,
  UnsupportedMediaType,
  ValidationError,
  toErrorResponse,
} from '../errors.js';
import { appRouter, type AppRouter } from '../trpc/routers/_app.js';
import { openApiDocument } from './openapi.js';
import type { StreamResult } from '../lib/stream.js';
import { routes } from './routes/index.js';
import type { RouteInput } from './routeTypes.js';

/** Fastify's own request errors, translated into the docs' error body. */
function fastifyError(
  err: { code?: string; message: string },
  core: Core,
  req: FastifyRequest,
): unknown {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new PayloadTooLarge(core.env.REINS_BODY_LIMIT_BYTES);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new UnsupportedMediaType(req.headers['content-type'] ?? '(none)');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ValidationError.of('body', 'is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // Also what onProtoPoisoning/onConstructorPoisoning: 'error' answer with.
      return ValidationError.of(
        'body',
        `is not valid JSON or contains __proto__/constructor.prototype (${err.message})`,
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ValidationError.of('body', 'Content-Length does not match the body');
    default:
      return err;
  }
}

/** A header sent once; a repeated header is kept whole so validation can refuse it. */
export function headerValue(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

export async function buildApp(core: Core): Promise<FastifyInstance> {
  const app = Fastify({
    logger: core.env.LOG_LEVEL === 'silent' ? false : { level: core.env.LOG_LEVEL },
    bodyLimit: core.env.REINS_BODY_LIMIT_BYTES,
    // Per-request log lines only when debugging: at thousands of requests a second they cost.
    logController: new LogController({
      disableRequestLogging: core.env.LOG_LEVEL !== 'debug' && core.env.LOG_LEVEL !== 'trace',
    }),
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Bodies are JSON: a text/plain body is a 415, not a string for the services to trip over.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err, req, reply) => {
    const mapped = fastifyError(err as { code?: string; message: string }, core, req);
    const res = toErrorResponse(mapped);
    if (res.status >= 500) req.log.error({ err }, 'request failed');
    void reply.status(res.status).headers(res.headers).send(res.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const res = toErrorResponse(
      new NotFound('Route', `${req.method} ${req.url.split('?')[0] ?? ''}`),
    );
    void reply.status(404).send(res.body);
  });

  app.get('/health', async (_req, reply) => {
    try {
      await core.orm.em.fork().getConnection().execute('select 1');
      return { success: true, status: 'ok', database: 'reachable' };
    } catch {
      const res = toErrorResponse(new ServiceUnavailable('The database is unreachable'));
      return reply
        .status(res.status)
        .send({ ...res.body, status: 'degraded', database: 'unreachable' });
    }
  });
  app.get('/api/openapi.json', () => openApiDocument());

  for (const def of routes) {
    app.route({
      method: def.method,
      url: def.url,
      ...(def.bodyLimit ? { bodyLimit: def.bodyLimit(core.env) } : {}),
      handler: async (req: FastifyRequest, reply) => {
        const ctx = await createContext(
          core,
          req.headers.authorization,
          headerValue(req.headers['idempotency-key']),
        );
        const input: RouteInput = {
          params: req.params as Record<string, string>,
          query: req.query as Record<string, unknown>,
          body: req.body,
        };
        checkStorable(input.params);
        checkStorable(input.query);
        checkStorable(input.body);
        const result = await def.run(ctx, input);
        if (def.status === 204) return reply.status(204).send();
        if (def.envelope === 'stream') {
          const out = result as StreamResult;
          void reply.status(def.status).header('content-type', out.contentType);
          if (out.filename) {
            void reply.header('content-disposition', `attachment; filename="${out.filename}"`);
          }
          return reply.send(out.stream);
        }
        const body =
          def.envelope === 'docs' ? { success: true, ...(result as object) } : (result as object);
        return reply.status(def.status).send(body);
      },
    });
  }

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: ({ req }) => ({
        core,
        authorization: req.headers.authorization,
        idempotencyKey: headerValue(req.headers['idempotency-key']),
      }),
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });
  return app;
}

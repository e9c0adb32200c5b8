import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import type { Core } from '../core.js';
import { createContextInner } from '../context.js';
import { authenticateCaller, registerAuthRoutes } from './auth.js';
import type { Caller } from '../machinery/authenticator.js';
import { checkStorable } from '../schemas/common.js';
import {
  NotFound,
  PayloadTooLarge,
  ServiceUnavailable,
  UnsupportedMediaType,
  ValidationError,
  toErrorResponse,
  type ErrorResponse,
} from '../errors.js';
import { appRouter, type AppRouter } from '../trpc/routers/_app.js';
import { trpcErrorBody } from '../trpc/trpc.js';
import { registerDashboard } from './dashboard.js';
import { loggerOptions, requestId } from './logging.js';
import { registerSdkFiles } from './sdkFiles.js';
import { openApiDocument } from './openapi.js';
import { registerApiDocs } from './apiDocs.js';
import { redactApiKeys } from '../lib/apiKeys.js';
import type { StreamResult } from '../lib/stream.js';
import { routes } from './routes/index.js';
import { benchFloorRoute } from './routes/transactions.js';
import type { RouteInput } from './routeTypes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated caller (set before the body is read), or null on public routes. */
    caller: Caller | null;
    /** The `Idempotency-Key` header (sent at most once). */
    idempotencyKey: string | null;
  }
}

/** Fastify's own request errors, translated into the docs' error body. */
function fastifyError(err: { code?: string; message: string }, req: FastifyRequest): unknown {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // The route's own limit (bulk uploads have a larger one).
      return new PayloadTooLarge(req.routeOptions.bodyLimit);
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

/**
 * The `Idempotency-Key` header. Node joins a repeated header into one value (`"a1, a2"`): the
 * raw headers tell, and a key sent twice is refused rather than taken as another key.
 */
function idempotencyHeader(req: FastifyRequest): string | null {
  const raw = req.raw.rawHeaders;
  let value: string | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== 'idempotency-key') continue;
    if (value !== null) throw ValidationError.of('Idempotency-Key', 'must be sent once');
    value = raw[i + 1] ?? '';
  }
  return value;
}

/** Headers every answer carries: a JSON API, never framed, sniffed, cached or referred. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

/** Bytes of an unread request body discarded after an early answer before the socket is closed. */
const DRAIN_UNAUTHENTICATED = 64 * 1024;

/**
 * After an error found before the request's body was read (401, 413, 415, 429 …): reads and
 * discards the rest of the body, up to `cap` bytes, so that a client still sending gets the answer
 * instead of a reset. Resolves once the body has ended; a larger body (or the socket's end)
 * destroys the connection, and one that never ends is cut by the request timeout.
 */
function drainBody(req: FastifyRequest, cap: number): Promise<void> {
  const raw = req.raw;
  return new Promise((resolve) => {
    if (raw.complete || raw.readableEnded) {
      resolve();
      return;
    }
    let read = 0;
    raw.on('data', (chunk: Buffer) => {
      read += chunk.length;
      if (read > cap) raw.socket.destroy();
    });
    raw.once('end', () => {
      resolve();
    });
    raw.socket.once('close', () => {
      resolve();
    });
    raw.resume();
  });
}

/** The procedures a `/trpc/<a>,<b>` URL calls. */
function trpcProcedures(url: string): string[] {
  const path = url.split('?')[0]?.replace(/^\/trpc\/?/, '') ?? '';
  return path.split(',').map((p) => decodeURIComponent(p));
}

/**
 * What a log line shows of a request (Fastify's fields): its URL with any API key masked, since a
 * client may send its key in a query string. Headers are never logged.
 */
function requestForLog(req: {
  method?: string;
  url?: string;
  headers: { host?: string };
  socket?: { remoteAddress?: string; remotePort?: number };
}) {
  return {
    method: req.method,
    url: redactApiKeys(req.url ?? ''),
    host: req.headers.host,
    remoteAddress: req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  };
}

export async function buildApp(core: Core): Promise<FastifyInstance> {
  const env = core.env;
  const app = Fastify({
    logger:
      env.LOG_LEVEL === 'silent'
        ? false
        : { ...loggerOptions(env.LOG_LEVEL), serializers: { req: requestForLog } },
    requestIdHeader: false,
    genReqId: (req) => requestId(req.headers['x-request-id']),
    bodyLimit: env.REINS_BODY_LIMIT_BYTES,
    // A request must arrive in full within seconds: a body that trickles or never comes does not
    // hold a connection (and a file descriptor) for minutes. Node checks every second.
    requestTimeout: env.REINS_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(env.REINS_HEADERS_TIMEOUT_MS, env.REINS_REQUEST_TIMEOUT_MS),
      connectionsCheckingInterval: 1000,
    },
    // Per-request log lines only when debugging: at thousands of requests a second they cost.
    logController: new LogController({
      disableRequestLogging: env.LOG_LEVEL !== 'debug' && env.LOG_LEVEL !== 'trace',
    }),
    // A path Fastify's router cannot take (a malformed %-escape, a segment past 100 characters)
    // gets the docs' error body too, not Fastify's own.
    frameworkErrors: (err, _req, reply) => {
      const res = toErrorResponse(
        ValidationError.of(
          'path',
          err.code === 'FST_ERR_MAX_PARAM_LENGTH'
            ? 'has a segment longer than 100 characters'
            : 'is not a valid URL path (a malformed %-escape)',
        ),
      );
      void (reply as FastifyReply).status(res.status).headers(SECURITY_HEADERS).send(res.body);
    },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    routerOptions: { ignoreTrailingSlash: true },
    // Behind a reverse proxy: the client's address and protocol (Secure cookies) from its headers.
    trustProxy: env.REINS_TRUST_PROXY === 'on',
  });
  // Bodies are JSON: a text/plain body is a 415, not a string for the services to trip over.
  app.removeContentTypeParser('text/plain');

  app.decorateRequest('caller', null);
  app.decorateRequest('idempotencyKey', null);
  app.addHook('onRequest', async (req, reply) => {
    void reply.headers(SECURITY_HEADERS).header('x-request-id', req.id);
  });
  // Rate and latency per route pattern (a 404's URL is the client's to choose: one label for all).
  // A callback hook, not an async one: no promise per request on the hot path.
  app.addHook('onResponse', (req, reply, done) => {
    core.metrics.request(
      req.method,
      req.routeOptions.url ?? '(unmatched)',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  /** The one error answer: mapped, logged with the request id when it is a 500, body drained. */
  const answerError = async (
    err: unknown,
    req: FastifyRequest,
    reply: FastifyReply,
    shape: (res: ErrorResponse) => unknown = (res) => res.body,
  ) => {
    const res = toErrorResponse(fastifyError(err as { code?: string; message: string }, req));
    if (res.status === 503) core.outage.unavailable(req.log, err);
    else if (res.status >= 500) {
      req.log.error({ err }, 'request failed');
      res.body.requestId = req.id;
    }
    if (!req.raw.complete) {
      // Answered before the body was read. On a connection that stays open, the answer goes now
      // and the rest of the body is read and dropped behind it. A connection the client asked to
      // close is closed once the answer is sent: closing it while the client still sends would
      // reset it before the client reads the answer — so the body is drained first.
      reply.removeHeader('connection');
      const drained = drainBody(
        req,
        req.caller ? Math.max(req.routeOptions.bodyLimit * 2, 16 << 20) : DRAIN_UNAUTHENTICATED,
      );
      const closing =
        req.raw.httpVersion === '1.0' || /\bclose\b/i.test(req.headers.connection ?? '');
      if (closing) await drained;
    }
    return reply.status(res.status).headers(res.headers).send(shape(res));
  };
  app.setErrorHandler(answerError);
  const dashboard = registerDashboard(app, env.REINS_WEB_DIR);
  app.setNotFoundHandler(async (req, reply) => {
    if (await dashboard.fallback(req, reply)) return reply;
    const res = toErrorResponse(
      new NotFound('Route', `${req.method} ${req.url.split('?')[0] ?? ''}`),
    );
    return reply.status(404).send(res.body);
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
  registerApiDocs(app);
  registerSdkFiles(app, env.REINS_SDK_DIR);

  /**
   * Before the body is read: refuse an encoding that is not identity (415) and a repeated
   * Idempotency-Key (422), then authenticate from the headers — the Authorization header, else the
   * dashboard's session cookie with its CSRF checks (http/auth.ts) — and apply the caller's rate
   * limit, so that nobody without a key or session gets a body read, or a connection held, on
   * their behalf.
   */
  const authenticateRequest = async (req: FastifyRequest, reply: FastifyReply) => {
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      throw new UnsupportedMediaType(`Content-Encoding: ${encoding}`);
    }
    req.idempotencyKey = idempotencyHeader(req);
    req.caller = await authenticateCaller(core, req, reply);
  };

  registerAuthRoutes(app, core, authenticateRequest);

  for (const def of env.REINS_BENCH_FLOOR === 'on' ? [...routes, benchFloorRoute] : routes) {
    app.route({
      method: def.method,
      url: def.url,
      ...(def.bodyLimit ? { bodyLimit: def.bodyLimit(env) } : {}),
      onRequest: authenticateRequest,
      handler: async (req: FastifyRequest, reply) => {
        if (!req.caller) throw new Error('a REST route ran without its caller');
        const ctx = createContextInner(core, req.caller, req.idempotencyKey);
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
          // A client that goes away mid-download is not a failure: stop at once, say so quietly.
          reply.raw.once('close', () => {
            if (reply.raw.writableFinished) return;
            out.stream.destroy();
            req.log.info({ url: req.url }, 'download abandoned by the client');
          });
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

  await app.register(async (trpc) => {
    trpc.setErrorHandler((err, req, reply) =>
      answerError(err, req, reply, (res) => trpcErrorBody(res, req.url)),
    );
    // The same checks before the body, except for calls of public procedures only (health).
    trpc.addHook('onRequest', async (req, reply) => {
      // JSON only, as on REST: tRPC would take multipart/form-data as FormData, which no
      // procedure reads (a mutation then failed with a 500).
      const type = req.headers['content-type'];
      if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
        throw new UnsupportedMediaType(type);
      }
      if (trpcProcedures(req.url).every((p) => p === 'health')) return;
      await authenticateRequest(req, reply);
    });
    await trpc.register(fastifyTRPCPlugin, {
      prefix: '/trpc',
      trpcOptions: {
        router: appRouter,
        createContext: ({ req }) => ({
          core,
          caller: req.caller,
          idempotencyKey: req.idempotencyKey,
        }),
        onError({ error, req, path }) {
          if (error.code === 'SERVICE_UNAVAILABLE') core.outage.unavailable(req.log, error.cause);
          else if (error.code === 'INTERNAL_SERVER_ERROR') {
            req.log.error({ err: error.cause ?? error, path }, 'procedure failed');
          }
        },
      } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
    });
  });
  return app;
}

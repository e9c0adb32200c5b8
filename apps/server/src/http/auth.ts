/**
 * The dashboard's sign-in routes (`/api/auth/*`, not in the public API docs) and the checks every
 * cookie-authenticated request passes: the session's CSRF token on state-changing requests, and
 * an Origin (when sent) that is this server's own.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../core.js';
import { authenticate, authenticateSession, createContextInner } from '../context.js';
import { CsrfRefused, Unauthorized } from '../errors.js';
import { clearSessionCookie, parseCookies, SESSION_COOKIE, sessionCookie } from '../lib/cookies.js';
import type { Caller } from '../machinery/authenticator.js';
import type { SessionCaller } from '../machinery/sessions.js';
import { checkStorable } from '../schemas/common.js';
import {
  changePassword,
  redeemLink,
  sessionView,
  signIn,
  signOut,
  type SignedIn,
} from '../services/sessions.js';

export const CSRF_HEADER = 'x-reins-csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Sign-in bodies are small: a larger one is refused before it is read in full. */
const AUTH_BODY_LIMIT = 16 * 1024;

const secure = (req: FastifyRequest) => ({ secure: req.protocol === 'https' });

/** Refuses a request whose Origin header names another site than this server (Host). */
export function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  let host: string | null = null;
  try {
    host = new URL(origin).host;
  } catch {
    // `null` (sandboxed frames, redirects) or garbage: not this server.
  }
  if (host === null || host.toLowerCase() !== req.host.toLowerCase()) {
    throw new CsrfRefused(
      `Origin "${origin}" is not this server's (${req.host}): cross-site requests are refused`,
    );
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The CSRF checks of a request authenticated by the session cookie. */
export function checkCsrf(req: FastifyRequest, caller: SessionCaller): void {
  checkOrigin(req);
  if (SAFE_METHODS.has(req.method)) return;
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameToken(sent, caller.session.csrfToken)) {
    throw new CsrfRefused(
      `A request signed in by the session cookie must send the header ${CSRF_HEADER} with the ` +
        "session's csrfToken (GET /api/auth/session)",
    );
  }
}

/**
 * The caller of a request: the `Authorization` header when sent (API keys; cookies are then
 * ignored), else the `reins_session` cookie with its CSRF checks. A cookie that names no live
 * session is cleared in the 401.
 */
export async function authenticateCaller(
  core: Core,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<Caller> {
  const authorization = req.headers.authorization;
  const token =
    authorization === undefined ? parseCookies(req.headers.cookie).get(SESSION_COOKIE) : undefined;
  if (token === undefined) return authenticate(core, authorization, req.ip);
  let caller: SessionCaller;
  try {
    caller = (await authenticateSession(core, token)) as SessionCaller;
  } catch (err) {
    if (err instanceof Unauthorized)
      void reply.header('set-cookie', clearSessionCookie(secure(req)));
    throw err;
  }
  checkCsrf(req, caller);
  return caller;
}

function sendSignedIn(req: FastifyRequest, reply: FastifyReply, s: SignedIn) {
  return reply
    .status(200)
    .header(
      'set-cookie',
      sessionCookie(s.token, { ...secure(req), maxAgeSeconds: s.maxAgeSeconds }),
    )
    .send({ success: true, session: s.session });
}

export function registerAuthRoutes(
  app: FastifyInstance,
  core: Core,
  /** The app's checks before the body (encoding, Idempotency-Key) and authentication. */
  authenticateRequest: (req: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  const opts = { bodyLimit: AUTH_BODY_LIMIT };
  // Signing in: no caller yet; a foreign Origin is refused (login CSRF).
  const signInRoute = (url: string, run: (body: unknown, client: string) => Promise<SignedIn>) =>
    app.post(
      url,
      {
        ...opts,
        onRequest: (req, _reply, done) => {
          try {
            checkOrigin(req);
            done();
          } catch (err) {
            done(err as Error);
          }
        },
      },
      async (req, reply) => {
        checkStorable(req.body);
        return sendSignedIn(req, reply, await run(req.body, req.ip));
      },
    );
  signInRoute('/api/auth/login', (body, client) => signIn(core, body, client));
  signInRoute('/api/auth/link', (body, client) => redeemLink(core, body, client));

  app.get('/api/auth/session', { onRequest: authenticateRequest }, async (req) => {
    if (!req.caller) throw new Unauthorized();
    return { success: true, session: await sessionView(core.orm.em.fork(), req.caller) };
  });

  // Signing out of a session that has already ended is done, not an error. Its body is ignored:
  // an empty one is fine whatever its Content-Type says.
  void app.register((scope, _options, registered) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, _body, done) => {
      done(null, undefined);
    });
    scope.post(
      '/api/auth/logout',
      {
        ...opts,
        onRequest: async (req, reply) => {
          try {
            await authenticateRequest(req, reply);
          } catch (err) {
            if (!(err instanceof Unauthorized)) throw err;
          }
        },
      },
      async (req, reply) => {
        if (req.caller) await signOut(core, req.caller);
        return reply
          .status(204)
          .header('set-cookie', clearSessionCookie(secure(req)))
          .send();
      },
    );
    registered();
  });

  app.post(
    '/api/auth/password',
    { ...opts, onRequest: authenticateRequest },
    async (req, reply) => {
      if (!req.caller) throw new Unauthorized();
      checkStorable(req.body);
      await changePassword(createContextInner(core, req.caller), req.body, req.ip);
      return reply.status(204).send();
    },
  );
}

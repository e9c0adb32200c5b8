/**
 * The dashboard's sign-in, as in docs/dashboard-auth.md: a cookie session from
 * `POST /api/auth/login` (email and password, or an API key: the key is sent once and never kept),
 * read back with `GET /api/auth/session`, its CSRF token sent as `x-reins-csrf` on every
 * state-changing call.
 */
// zod/mini: this module is on the first load (see SignIn.tsx).
import * as z from 'zod/mini';
import { takeBootSession } from './boot.js';
import type { RouterOutputs } from './trpc.js';

/** The server's session (`GET /api/auth/session` and `users.me` answer the same view). */
export type Session = RouterOutputs['users']['me'];

/** In memory only (the cookie is HttpOnly; the CSRF token is re-read from the session). */
const credentials: { csrfToken: string | null } = { csrfToken: null };

/** Headers every API call carries for the current sign-in. */
export function authHeaders(): Record<string, string> {
  return credentials.csrfToken ? { 'x-reins-csrf': credentials.csrfToken } : {};
}

function adoptSession(session: Session): Session {
  credentials.csrfToken = session.csrfToken;
  return session;
}

export function forgetCredentials(): void {
  credentials.csrfToken = null;
}

/** A failed sign-in step, with the server's code and message (or a network failure's). */
export class AuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
  }
}

const errorBody = z.object({ code: z.optional(z.string()), message: z.optional(z.string()) });

async function failure(res: Response): Promise<AuthError> {
  let body: z.infer<typeof errorBody> = {};
  try {
    body = errorBody.parse(await res.json());
  } catch {
    // Not the usual JSON error body (a proxy's page): the status says enough.
  }
  const retry = Number(res.headers.get('retry-after'));
  return new AuthError(
    res.status,
    body.code ?? `HTTP_${res.status}`,
    body.message ?? `The server answered ${res.status} ${res.statusText}`.trim(),
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
}

async function post(path: string, body: unknown, csrf = false): Promise<Response> {
  return fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: {
      'content-type': 'application/json',
      ...(csrf && credentials.csrfToken ? { 'x-reins-csrf': credentials.csrfToken } : {}),
    },
    body: JSON.stringify(body),
  });
}

/** The fields the app cannot run without, checked (the type itself is the server's). */
function isSession(v: unknown): v is Session {
  if (!v || typeof v !== 'object') return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.csrfToken === 'string' &&
    typeof s.orgName === 'string' &&
    Array.isArray(s.permissions) &&
    s.permissions.every((p) => typeof p === 'string') &&
    (s.user === null || typeof s.user === 'object')
  );
}

async function sessionFrom(res: Response): Promise<Session> {
  const body = (await res.json()) as { session?: unknown } | null;
  if (!isSession(body?.session)) {
    throw new AuthError(res.status, 'BAD_RESPONSE', 'The server answered without a session.');
  }
  return adoptSession(body.session);
}

/** What `GET /api/auth/session` says: a session, or nobody (401). */
export type SessionProbe = { kind: 'signed-in'; session: Session } | { kind: 'signed-out' };

export async function probeSession(): Promise<SessionProbe> {
  // The first probe takes the answer public/boot.js asked for before the bundle loaded.
  const res =
    (await takeBootSession()?.catch(() => null)) ??
    (await fetch('/api/auth/session', { credentials: 'same-origin' }));
  if (res.ok) return { kind: 'signed-in', session: await sessionFrom(res) };
  if (res.status === 401) return { kind: 'signed-out' };
  throw await failure(res);
}

export async function signInWithPassword(email: string, password: string): Promise<Session> {
  const res = await post('/api/auth/login', { email, password });
  if (!res.ok) throw await failure(res);
  return sessionFrom(res);
}

/**
 * Signs in with an API key: the server checks it and opens a cookie session (a key user, no
 * `user`); the key itself is not kept anywhere in the browser.
 */
export async function signInWithApiKey(apiKey: string): Promise<Session> {
  const res = await post('/api/auth/login', { apiKey });
  if (!res.ok) throw await failure(res);
  return sessionFrom(res);
}

export async function redeemLink(token: string, password: string): Promise<Session> {
  const res = await post('/api/auth/link', { token, password });
  if (!res.ok) throw await failure(res);
  return sessionFrom(res);
}

export async function signOut(): Promise<void> {
  try {
    const res = await post('/api/auth/logout', {}, true);
    if (!res.ok && res.status !== 401) throw await failure(res);
  } finally {
    forgetCredentials();
  }
}

/** `session.permissions` grants `p` (`*` grants everything), as the server decides it. */
export function can(session: Pick<Session, 'permissions'> | null, p: string): boolean {
  return !!session && (session.permissions.includes('*') || session.permissions.includes(p));
}

const unauthorizedListeners = new Set<() => void>();

/** Subscribes to "a call was answered 401"; returns the unsubscribe function. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => {
    unauthorizedListeners.delete(listener);
  };
}

export function reportUnauthorized(): void {
  for (const listener of unauthorizedListeners) listener();
}

/** `POST /api/auth/password` (a signed-in user; CSRF): 204 on success. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  const res = await post('/api/auth/password', { currentPassword, newPassword }, true);
  if (!res.ok) throw await failure(res);
}

/**
 * The dashboard's sign-in, as in notes/auth-contract.md: a cookie session from
 * `POST /api/auth/login`, read back with `GET /api/auth/session`, its CSRF token sent as
 * `x-reins-csrf` on every state-changing call.
 *
 * Developer fallback: a server without `/api/auth` yet (the session route answers 404) is signed
 * in to with an API key kept in memory only (never localStorage) and sent as a Bearer header.
 */
import { z } from 'zod';

/**
 * The contract's Session. A REST body (not in `AppRouter` yet); when `users.me` lands this becomes
 * `inferRouterOutputs<AppRouter>['users']['me']`. Parsed, not cast: the app trusts its shape.
 */
export const sessionSchema = z.object({
  user: z
    .object({
      id: z.string(),
      email: z.string(),
      name: z.string().nullish(),
      role: z.enum(['admin', 'editor', 'viewer']),
    })
    .nullable(),
  keyId: z.string().nullable(),
  orgId: z.string(),
  orgName: z.string(),
  permissions: z.array(z.string()),
  csrfToken: z.string(),
  expiresAt: z.string(),
});
export type Session = z.infer<typeof sessionSchema>;

/** How the app is signed in: the contract's cookie session, or the developer's bearer key. */
export type AuthMode = 'cookie' | 'bearer';

interface Credentials {
  mode: AuthMode;
  csrfToken: string | null;
  bearerKey: string | null;
}

/** In memory only: a reload signs a bearer-key developer out, by design. */
const credentials: Credentials = { mode: 'cookie', csrfToken: null, bearerKey: null };

/** Headers every API call carries for the current sign-in. */
export function authHeaders(): Record<string, string> {
  if (credentials.mode === 'bearer' && credentials.bearerKey) {
    return { authorization: `Bearer ${credentials.bearerKey}` };
  }
  return credentials.csrfToken ? { 'x-reins-csrf': credentials.csrfToken } : {};
}

export function currentMode(): AuthMode {
  return credentials.mode;
}

function adoptSession(session: Session): Session {
  credentials.mode = 'cookie';
  credentials.csrfToken = session.csrfToken;
  credentials.bearerKey = null;
  return session;
}

export function forgetCredentials(): void {
  credentials.mode = 'cookie';
  credentials.csrfToken = null;
  credentials.bearerKey = null;
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

const errorBody = z.object({ code: z.string().optional(), message: z.string().optional() });

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

async function sessionFrom(res: Response): Promise<Session> {
  const body = z.object({ session: sessionSchema }).parse(await res.json());
  return adoptSession(body.session);
}

/** What `GET /api/auth/session` says: a session, nobody (401), or "this server has no auth" (404). */
export type SessionProbe =
  { kind: 'signed-in'; session: Session } | { kind: 'signed-out'; authAvailable: boolean };

export async function probeSession(): Promise<SessionProbe> {
  const res = await fetch('/api/auth/session', { credentials: 'same-origin' });
  if (res.ok) return { kind: 'signed-in', session: await sessionFrom(res) };
  if (res.status === 401) return { kind: 'signed-out', authAvailable: true };
  if (res.status === 404) return { kind: 'signed-out', authAvailable: false };
  throw await failure(res);
}

export async function signInWithPassword(email: string, password: string): Promise<Session> {
  const res = await post('/api/auth/login', { email, password });
  if (!res.ok) throw await failure(res);
  return sessionFrom(res);
}

/**
 * Signs in with an API key: the contract's cookie session when the server has `/api/auth`, else
 * (404) the in-memory bearer key, checked by `describeKey` before it is kept.
 */
export async function signInWithApiKey(
  apiKey: string,
  describeKey: (apiKey: string) => Promise<Session>,
): Promise<Session> {
  const res = await post('/api/auth/login', { apiKey });
  if (res.ok) return sessionFrom(res);
  if (res.status !== 404) throw await failure(res);
  credentials.mode = 'bearer';
  credentials.bearerKey = apiKey;
  credentials.csrfToken = null;
  try {
    return await describeKey(apiKey);
  } catch (err) {
    forgetCredentials();
    throw err;
  }
}

export async function redeemLink(token: string, password: string): Promise<Session> {
  const res = await post('/api/auth/link', { token, password });
  if (!res.ok) throw await failure(res);
  return sessionFrom(res);
}

export async function signOut(): Promise<void> {
  try {
    if (credentials.mode === 'cookie') {
      const res = await post('/api/auth/logout', {}, true);
      if (!res.ok && res.status !== 401 && res.status !== 404) throw await failure(res);
    }
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

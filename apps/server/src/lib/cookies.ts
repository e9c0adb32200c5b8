/** The dashboard's session cookie: parsing the Cookie header and building Set-Cookie values. */

export const SESSION_COOKIE = 'reins_session';

/** The cookies of a `Cookie` header (the first of a repeated name wins, as browsers order them). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) {
      value = value.slice(1, -1);
    }
    if (name && !out.has(name)) out.set(name, value);
  }
  return out;
}

export interface CookieOptions {
  /** The request came over HTTPS (`req.protocol`, which honours REINS_TRUST_PROXY). */
  secure: boolean;
}

/** `reins_session=<token>; Path=/; HttpOnly; SameSite=Lax[; Secure]; Max-Age=…` */
export function sessionCookie(token: string, opts: CookieOptions & { maxAgeSeconds: number }) {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    ...(opts.secure ? ['Secure'] : []),
    `Max-Age=${Math.max(0, Math.floor(opts.maxAgeSeconds))}`,
  ].join('; ');
}

/** The Set-Cookie value that removes the session cookie. */
export function clearSessionCookie(opts: CookieOptions): string {
  return [
    `${SESSION_COOKIE}=`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    ...(opts.secure ? ['Secure'] : []),
    'Max-Age=0',
  ].join('; ');
}

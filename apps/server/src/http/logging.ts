/** The server's log lines (pino, JSON): what is censored, and the request id each line carries. */
import { randomUUID } from 'node:crypto';

/**
 * Where secrets could appear in a log line, censored by pino before the line is written: the
 * credentials a request carries (API keys in Authorization, session cookies), a Set-Cookie answer,
 * and fields of logged objects that name a secret. Nothing logs bodies or headers today; this is
 * the net under whatever does tomorrow.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers["proxy-authorization"]',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers["proxy-authorization"]',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  '*.headers["set-cookie"]',
  'authorization',
  'cookie',
  '*.authorization',
  '*.cookie',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

/** The pino options of the server's logger: JSON lines, `level`, secrets censored. */
export function loggerOptions(level: string) {
  return { level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } };
}

/**
 * A request id a client (or proxy) sends in `X-Request-Id` is kept when it is sane — 1 to 128
 * letters, digits and `._:-` — so that one id follows a call through the proxy's logs and ours;
 * otherwise the request gets a random UUID. Either way it is on every log line of the request
 * (`reqId`) and echoed in the answer's `X-Request-Id`.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function requestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_REQUEST_ID.test(header) ? header : randomUUID();
}

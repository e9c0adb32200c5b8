/** What the server's and the worker's log lines (pino, JSON) never show. */

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

/** The pino options of every Reins process's logger: JSON lines, `level`, secrets censored. */
export function loggerOptions(level: string) {
  return { level, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } };
}

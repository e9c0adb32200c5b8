/** The server's log lines (pino, JSON): what is censored, and the request id each line carries. */
import { randomUUID } from 'node:crypto';

export { loggerOptions } from '@reins/jobs';

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

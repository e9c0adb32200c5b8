/**
 * One outgoing POST to a channel's configured URL: no redirects followed (a 3xx is an answer, not
 * a new address), a deadline over the whole exchange, and at most `capBytes` of the response read
 * before the connection is dropped — a receiver cannot hold the worker or flood its memory.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface PostOptions {
  timeoutMs: number;
  /** Most response bytes read; the rest is not waited for. */
  capBytes: number;
  /** Aborted when the host stops. */
  signal?: AbortSignal;
}

export interface PostResult {
  status: number;
  /** The start of the response body (at most `capBytes`), for error messages. */
  body: string;
  location?: string;
  retryAfter?: string;
}

export class DeliveryTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${String(ms)} ms`);
    this.name = 'DeliveryTimeout';
  }
}

export function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  opts: PostOptions,
): Promise<PostResult> {
  return new Promise<PostResult>((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      reject(new Error('the channel URL is not a URL'));
      return;
    }
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      reject(new Error(`the channel URL is not http(s): ${target.protocol}`));
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const finish = (err: Error | undefined, result?: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(result as PostResult);
    };
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const status = res.statusCode ?? 0;
          const location = res.headers.location;
          const retryAfter = res.headers['retry-after'];
          finish(undefined, {
            status,
            body: Buffer.concat(chunks).subarray(0, opts.capBytes).toString('utf8'),
            ...(location ? { location } : {}),
            ...(retryAfter ? { retryAfter } : {}),
          });
        };
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= opts.capBytes) {
            // Enough to judge the answer: drop the connection instead of reading on.
            done();
            res.destroy();
          }
        });
        res.on('end', done);
        res.on('error', (err) => {
          finish(err);
        });
      },
    );
    const timer = setTimeout(() => {
      finish(new DeliveryTimeout(opts.timeoutMs));
      req.destroy();
    }, opts.timeoutMs);
    const onAbort = () => {
      finish(new Error('aborted: the worker is stopping'));
      req.destroy();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      finish(err);
    });
    req.end(body);
  });
}

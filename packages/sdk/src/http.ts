/**
 * The one HTTP path of the SDK: global `fetch` (Node ≥ 18), a timeout per request, the API key as
 * a Bearer token. Network failures and timeouts become `ReinsError` with status 0.
 */
import { ReinsError, type ErrorBody } from './errors.js';

export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface TransportOptions {
  /** `rk_…`; defaults to `process.env.REINS_API_KEY`. */
  apiKey?: string | undefined;
  /** Defaults to `process.env.REINS_BASE_URL`, then `http://127.0.0.1:3000`. */
  baseUrl?: string | undefined;
  /** Per request; default 10 s. */
  timeoutMs?: number | undefined;
  /** A `fetch` to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch | undefined;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined> | undefined;
  headers?: Record<string, string> | undefined;
  idempotencyKey?: string | undefined;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface Response<T> {
  status: number;
  headers: Headers;
  body: T;
}

export interface Transport {
  readonly baseUrl: string;
  /** Any HTTP answer is returned (the caller decides what a 403 means); no answer throws. */
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<Response<T>>;
  /** As `request`, but a non-2xx answer throws `ReinsError`. */
  ok<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
  /** A streamed body (CSV), for a 2xx answer; otherwise throws `ReinsError`. */
  stream(path: string, opts?: RequestOptions): Promise<globalThis.Response>;
}

function env(name: string): string | undefined {
  return typeof process === 'undefined' ? undefined : process.env[name];
}

export function createTransport(options: TransportOptions = {}): Transport {
  const apiKey = options.apiKey ?? env('REINS_API_KEY');
  const baseUrl = (options.baseUrl ?? env('REINS_BASE_URL') ?? DEFAULT_BASE_URL).replace(
    /\/+$/,
    '',
  );
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const doFetch = options.fetch ?? globalThis.fetch;
  if (!apiKey) {
    throw new ReinsError('No API key: pass { apiKey } or set REINS_API_KEY', {
      code: 'UNAUTHORIZED',
      status: 401,
    });
  }

  async function send(
    method: string,
    path: string,
    opts: RequestOptions,
  ): Promise<globalThis.Response> {
    let url = `${baseUrl}${path}`;
    if (opts.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query)) if (v != null) qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${apiKey}`,
      accept: 'application/json',
      ...opts.headers,
    };
    if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const timeoutMs = opts.timeoutMs ?? defaultTimeout;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      return await doFetch(url, { method, headers, body: payload, signal });
    } catch (err) {
      if (timeout.aborted) {
        throw new ReinsError(`Reins did not answer ${method} ${path} within ${timeoutMs} ms`, {
          code: 'TIMEOUT',
          status: 0,
          cause: err,
        });
      }
      if (opts.signal?.aborted) throw err;
      throw new ReinsError(`Reins is unreachable at ${baseUrl}: ${describe(err)}`, {
        code: 'NETWORK_ERROR',
        status: 0,
        cause: err,
      });
    }
  }

  async function request<T>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<Response<T>> {
    const res = await send(method, path, opts);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new ReinsError(`Reins's answer to ${method} ${path} was cut off: ${describe(err)}`, {
        code: 'NETWORK_ERROR',
        status: 0,
        cause: err,
      });
    }
    let body: unknown = undefined;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = { success: false, code: codeFor(res.status), message: text.slice(0, 500) };
      }
    }
    return { status: res.status, headers: res.headers, body: body as T };
  }

  return {
    baseUrl,
    request,
    async ok<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
      const res = await request<T>(method, path, opts);
      if (res.status >= 200 && res.status < 300) return res.body;
      throw toError(method, path, res.status, res.body, res.headers);
    },
    async stream(path: string, opts: RequestOptions = {}): Promise<globalThis.Response> {
      const res = await send('GET', path, opts);
      if (res.ok) return res;
      const text = await res.text().catch(() => '');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      throw toError('GET', path, res.status, body, res.headers);
    },
  };
}

function codeFor(status: number): string {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 422) return 'VALIDATION_ERROR';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'SERVICE_UNAVAILABLE';
  return status >= 500 ? 'INTERNAL_ERROR' : 'HTTP_ERROR';
}

/** The `ReinsError` for an error answer, keeping the docs' code and body. */
export function toError(
  method: string,
  path: string,
  status: number,
  body: unknown,
  headers: Headers,
): ReinsError {
  const b = body && typeof body === 'object' ? (body as Partial<ErrorBody>) : null;
  const code = typeof b?.code === 'string' ? b.code : codeFor(status);
  const message =
    typeof b?.message === 'string' ? b.message : `${method} ${path} answered ${status}`;
  const retry = Number(headers.get('retry-after'));
  return new ReinsError(message, {
    code,
    status,
    body: b ? { ...b, success: false, code, message } : null,
    retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null,
  });
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? cause.message : '';
    return detail ? `${err.message} (${detail})` : err.message;
  }
  return String(err);
}

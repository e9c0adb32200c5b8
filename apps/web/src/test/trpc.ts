import superjson from 'superjson';
import { vi } from 'vitest';

export interface Call {
  path: string;
  input: unknown;
}

/** An error the served procedure answers with (its HTTP status and message). */
export class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A tRPC server in a test: `answer(path, input)` returns data, or throws `{status, message}`. */
export function serveTrpc(answer: (path: string, input: unknown) => unknown) {
  const calls: Call[] = [];
  const fetch = vi.fn((url: string, init?: RequestInit) => {
    const u = new URL(url, 'http://127.0.0.1');
    const paths = u.pathname.replace(/^\/trpc\//, '').split(',');
    const raw =
      init?.method === 'POST'
        ? (JSON.parse(init.body as string) as Record<string, { json: unknown }>)
        : (JSON.parse(u.searchParams.get('input') ?? '{}') as Record<string, { json: unknown }>);
    let status = 200;
    const body = paths.map((path, i) => {
      const input = raw[String(i)]?.json;
      calls.push({ path, input });
      try {
        return { result: { data: superjson.serialize(answer(path, input)) } };
      } catch (err) {
        const e = err as Refusal;
        status = e.status;
        return {
          error: {
            json: {
              message: e.message,
              code: -32000,
              data: { code: 'ERR', httpStatus: e.status, reins: { message: e.message } },
            },
          },
        };
      }
    });
    return Promise.resolve(
      new Response(JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      }),
    );
  });
  vi.stubGlobal('fetch', fetch);
  return { calls, fetch };
}

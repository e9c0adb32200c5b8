import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@reins/server';
import superjson from 'superjson';
import { authHeaders } from './session.js';

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** The typed client: one batched POST/GET per tick, superjson, the session's cookie and CSRF. */
export const trpc = createTRPCClient<AppRouter>({
  links: [
    httpBatchLink({
      url: '/trpc',
      transformer: superjson,
      headers: authHeaders,
      fetch: (url, init) => fetch(url, { ...init, credentials: 'same-origin' }),
    }),
  ],
});

/** The HTTP status of a failed call (tRPC's `data.httpStatus`), or null for a network failure. */
export function statusOf(err: unknown): number | null {
  if (err instanceof TRPCClientError) {
    const data = (err as TRPCClientError<AppRouter>).data;
    return data?.httpStatus ?? null;
  }
  if (err && typeof err === 'object' && 'status' in err && typeof err.status === 'number') {
    return err.status;
  }
  return null;
}

/** What to show for a failed call: the server's message (the docs' error body) or the error's. */
export function messageOf(err: unknown): string {
  if (err instanceof TRPCClientError) {
    const data = (err as TRPCClientError<AppRouter>).data as
      { reins?: { message?: string; issues?: { path: string; message: string }[] } } | undefined;
    const issues = data?.reins?.issues;
    if (issues?.length) return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    return data?.reins?.message ?? err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** What public/boot.js leaves on `window` for the app (types only: the boot script is plain JS). */

/** One tRPC query of the boot batch. */
export interface BootCall {
  path: string;
  input: unknown;
}

export interface BootState {
  /** `GET /api/auth/session`, until the app takes it. */
  session?: Promise<Response>;
  /** A tRPC batch (GET, superjson): its calls in order and the response. */
  batch?: { calls: readonly BootCall[]; response: Promise<Response> };
}

declare global {
  interface Window {
    __reinsBoot?: BootState;
  }
}

/**
 * The app's side of public/boot.js: the answers it fetched before the app loaded, each taken at
 * most once. A call that is not in the boot batch, whose answer was an error (a 401, a 500) or
 * whose response could not be read is asked again through the tRPC client, so errors reach the
 * app as they always do.
 */
import superjson, { type SuperJSONResult } from 'superjson';
import type { BootCall, BootState } from './bootState.js';

type Item = { result?: { data?: SuperJSONResult } } | { error?: unknown };
type Batch = NonNullable<BootState['batch']>;

const read = new WeakMap<Batch, { items: Promise<Item[] | null>; taken: Set<number> }>();

function readBatch(batch: Batch) {
  let r = read.get(batch);
  if (!r) {
    r = {
      items: batch.response.then(
        async (res) => {
          try {
            const body: unknown = await res.json();
            return Array.isArray(body) ? (body as Item[]) : null;
          } catch {
            return null;
          }
        },
        () => null,
      ),
      taken: new Set(),
    };
    read.set(batch, r);
  }
  return r;
}

/** The boot batch's answer to `call` if it has one, else `ask()`'s. */
export async function fromBoot<T>(call: BootCall, ask: () => Promise<T>): Promise<T> {
  const batch = window.__reinsBoot?.batch;
  if (!batch) return ask();
  const i = batch.calls.findIndex(
    (c) => c.path === call.path && JSON.stringify(c.input) === JSON.stringify(call.input),
  );
  const r = readBatch(batch);
  if (i < 0 || r.taken.has(i)) return ask();
  r.taken.add(i);
  const item = (await r.items)?.[i];
  if (item && 'result' in item && item.result?.data !== undefined) {
    return superjson.deserialize<T>(item.result.data);
  }
  return ask();
}

/** The boot script's `GET /api/auth/session`, once; null afterwards (or without one). */
export function takeBootSession(): Promise<Response> | null {
  const boot = window.__reinsBoot;
  const session = boot?.session ?? null;
  if (boot) delete boot.session;
  return session;
}

/**
 * The recorder's thread (recorderThread.ts starts it): a `Recorder` with a pool of its own, taking
 * requests from the server's thread and sending back, once per batch, the batch's results, its
 * metrics observation and the recorder's stats.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initOrm } from '@reins/db';
import type { Action } from '@reins/engine';
import type { TxResult } from '../recording/types.js';
import { PolicyCache } from './policyCache.js';
import { Recorder } from './recorder.js';
import {
  toWireError,
  type FromThread,
  type ThreadConfig,
  type ToThread,
  type WireResult,
} from './recorderThread.js';

const port = parentPort;
if (!port) throw new Error('recorderWorker.ts runs as a worker thread (recorderThread.ts)');
const config = workerData as ThreadConfig;

/** Answers a replay of a recorded transaction with its outcome: the server thread responds. */
const REPLAY_OF = -1;

function toWireResult(r: TxResult): WireResult {
  if (r.kind === 'refused') return { kind: 'refused', error: toWireError(r.error) };
  if (r.kind === 'replay' && r.response.status === REPLAY_OF) {
    return { kind: 'replayOf', outcome: r.response.body as never };
  }
  return r;
}

let pending: Extract<FromThread, { type: 'results' }> | null = null;

/**
 * What goes back to the server's thread, gathered: a batch's observation and its results settle
 * a few microtasks apart, and go out together in one message once this turn of the loop is over
 * (with the stats as they are then).
 */
function outgoing(): Extract<FromThread, { type: 'results' }> {
  if (!pending) {
    pending = { type: 'results', results: [], batches: [], stats: recorder.stats };
    setImmediate(flush);
  }
  return pending;
}

function flush() {
  const m = pending;
  pending = null;
  if (m) port?.postMessage({ ...m, stats: { ...recorder.stats } } satisfies FromThread);
}

const orm = await initOrm(config.url, { maxConnections: config.pool });
const recorder = new Recorder(
  orm,
  new PolicyCache(),
  Date.now,
  config.batchMax,
  {
    batch(size: number, seconds: number, actions: Readonly<Record<Action, number>>) {
      outgoing().batches.push({ size, seconds, actions: { ...actions } });
    },
  },
  config.leases,
);

async function reply(id: number, work: () => Promise<number>) {
  try {
    port?.postMessage({ type: 'reply', id, value: await work() } satisfies FromThread);
  } catch (err) {
    port?.postMessage({ type: 'reply', id, error: toWireError(err) } satisfies FromThread);
  }
}

port.on('message', (m: ToThread) => {
  switch (m.type) {
    case 'submit': {
      const req = m.req.idempotency
        ? {
            ...m.req,
            idempotency: {
              ...m.req.idempotency,
              respond: (outcome: unknown) => ({ status: REPLAY_OF, body: outcome }),
            },
          }
        : { ...m.req, idempotency: null };
      recorder.submit(req as never).then(
        (result) => {
          outgoing().results.push({ id: m.id, result: toWireResult(result) });
        },
        (err: unknown) => {
          outgoing().results.push({ id: m.id, error: toWireError(err) });
        },
      );
      break;
    }
    case 'drain':
      void reply(m.id, async () => {
        await recorder.drain();
        return 0;
      });
      break;
    case 'returnLeases':
      void reply(m.id, () => recorder.returnLeases());
      break;
    case 'close':
      void reply(m.id, async () => {
        await recorder.drain();
        await orm.close();
        return 0;
      });
      break;
  }
});
port.postMessage({ type: 'ready' });

/**
 * Load for the HTTP benchmark, two ways:
 *
 * - `openLoop`: a fixed offered load. Request i is due at start + i/rate, whatever happened to
 *   the ones before it (open loop), and its latency counts from when it was due — so time a
 *   request spent waiting for a free socket, or a stall of the sender, is in the figure
 *   (no coordinated omission). Node's http client with keep-alive sockets.
 * - `closedLoop`: saturation with autocannon: `connections` sockets, each sending its next
 *   request as soon as the previous answer arrives.
 *
 * Why not autocannon's `overallRate` for the fixed loads: it gives each connection a quota per
 * one-second tick, and a connection sends back to back until its quota is used — all connections
 * start together at each tick, so the load is a burst at full concurrency followed by silence,
 * not a rate. And with a rate set, autocannon "corrects" latencies with an expected interval of
 * ceil(1/rate) = 1 ms, adding made-up samples.
 */
import http from 'node:http';
import autocannon from 'autocannon';

export interface Target {
  port: number;
  path: string;
  headers: Record<string, string>;
}

/** The next request to send: its sequence number and JSON body. */
export type NextBody = () => { seq: number; body: string };

export interface PhaseLog {
  /** Latency in ms of every answered request, and when it completed (performance.now()). */
  latencies: number[];
  doneAt: number[];
  sent: number;
  answered: number;
  /** Requests never answered: connection errors, timeouts, and those in flight at the end. */
  unanswered: number;
  /** Due requests not sent because `maxInFlight` were already waiting (open loop). */
  skipped: number;
  statusCounts: Record<string, number>;
  startedAt: number;
  endedAt: number;
}

function newLog(): PhaseLog {
  return {
    latencies: [],
    doneAt: [],
    sent: 0,
    answered: 0,
    unanswered: 0,
    skipped: 0,
    statusCounts: {},
    startedAt: performance.now(),
    endedAt: 0,
  };
}

function count(log: PhaseLog, status: number, latency: number): void {
  const now = performance.now();
  log.answered += 1;
  log.latencies.push(latency);
  log.doneAt.push(now);
  log.statusCounts[status] = (log.statusCounts[status] ?? 0) + 1;
}

export async function openLoop(
  target: Target,
  opts: { rate: number; durationMs: number; maxInFlight: number; drainMs: number },
  next: NextBody,
  onAnswer: (seq: number, status: number) => void,
): Promise<PhaseLog> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxInFlight });
  const total = Math.round((opts.rate * opts.durationMs) / 1000);
  const log = newLog();
  const start = log.startedAt;
  let due = 0;
  let inFlight = 0;

  const fire = (intendedAt: number): void => {
    const { seq, body } = next();
    log.sent += 1;
    inFlight += 1;
    let settled = false;
    const settle = (status: number | null): void => {
      if (settled) return;
      settled = true;
      inFlight -= 1;
      if (status === null) log.unanswered += 1;
      else count(log, status, performance.now() - intendedAt);
      onAnswer(seq, status ?? -1);
    };
    const req = http.request(
      {
        agent,
        host: '127.0.0.1',
        port: target.port,
        path: target.path,
        method: 'POST',
        headers: { ...target.headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          settle(res.statusCode ?? 0);
        });
        res.on('error', () => {
          settle(null);
        });
      },
    );
    req.on('error', () => {
      settle(null);
    });
    req.setTimeout(10_000, () => req.destroy());
    req.end(body);
  };

  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const shouldHave = Math.min(
        total,
        Math.floor(((performance.now() - start) * opts.rate) / 1000) + 1,
      );
      while (due < shouldHave) {
        const intendedAt = start + (due * 1000) / opts.rate;
        due += 1;
        if (inFlight >= opts.maxInFlight) log.skipped += 1;
        else fire(intendedAt);
      }
      if (due < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Wait for the answers still coming, but not forever.
  const deadline = performance.now() + opts.drainMs;
  while (inFlight > 0 && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  log.endedAt = performance.now();
  agent.destroy();
  return log;
}

export async function closedLoop(
  target: Target,
  opts: { connections: number; durationS: number; maxRequests: number },
  next: NextBody,
  onAnswer: (seq: number, status: number) => void,
): Promise<PhaseLog & { autocannon: Record<string, unknown> }> {
  const log = newLog();
  interface Ctx {
    seq?: number;
  }
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${target.port}`,
        connections: opts.connections,
        duration: opts.durationS,
        maxOverallRequests: opts.maxRequests,
        timeout: 10,
        method: 'POST',
        headers: target.headers,
        requests: [
          {
            method: 'POST',
            path: target.path,
            setupRequest: (req, context) => {
              const { seq, body } = next();
              (context as Ctx).seq = seq;
              log.sent += 1;
              return { ...req, body };
            },
            onResponse: (status, _body, context) => {
              const seq = (context as Ctx).seq;
              if (seq !== undefined) onAnswer(seq, status);
            },
          },
        ],
      },
      (err: unknown, res: autocannon.Result) => {
        if (err) reject(err instanceof Error ? err : new Error('autocannon failed'));
        else resolve(res);
      },
    );
    // autocannon emits (client, statusCode, bytes, responseTime); @types/autocannon omits client.
    (instance as NodeJS.EventEmitter).on(
      'response',
      (_client: unknown, status: number, _bytes: number, responseTime: number) => {
        count(log, status, responseTime);
      },
    );
  });
  log.endedAt = performance.now();
  log.unanswered = log.sent - log.answered;
  return {
    ...log,
    autocannon: {
      duration: result.duration,
      requestsTotal: result.requests.total,
      latencyP50: result.latency.p50,
      latencyP99: result.latency.p99,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
    },
  };
}

/** The part of a logger this uses (Fastify's logger has it). */
export interface OutageLogger {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Reports a database outage once: the first failure that finds the database unavailable is
 * logged as an error, the rest of the outage is silent (thousands of requests would each log
 * it). Its end is found by `probe` — tried every `intervalMs` while the outage lasts — and not by
 * requests: one answered without the database (a 401, a 422) says nothing about it.
 */
export class OutageLog {
  private since: number | null = null;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly probe: () => Promise<unknown>,
    private readonly intervalMs = 1000,
  ) {}

  unavailable(log: OutageLogger, err: unknown): void {
    this.failures += 1;
    if (this.since !== null || this.stopped) return;
    this.since = Date.now();
    log.error({ err }, 'the database is unavailable: answering 503 until it is back');
    this.schedule(log);
  }

  get down(): boolean {
    return this.since !== null;
  }

  /** Stops probing (the server is closing). */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(log: OutageLogger): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.probe().then(
        () => {
          this.recovered(log);
        },
        () => {
          if (!this.stopped) this.schedule(log);
        },
      );
    }, this.intervalMs);
    // A probe pending must not keep the process alive.
    this.timer.unref();
  }

  private recovered(log: OutageLogger): void {
    if (this.since === null) return;
    log.info(
      { outageMs: Date.now() - this.since, refused: this.failures },
      'the database is reachable again',
    );
    this.since = null;
    this.failures = 0;
  }
}

/** The part of a logger this uses (Fastify's logger has it). */
export interface OutageLogger {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Reports a database outage once: the first failure that finds the database unavailable is
 * logged as an error, the rest of the outage is silent (thousands of requests would each log
 * it), and the first success after it is logged as the recovery.
 */
export class OutageLog {
  private since: number | null = null;
  private failures = 0;

  unavailable(log: OutageLogger, err: unknown): void {
    this.failures += 1;
    if (this.since !== null) return;
    this.since = Date.now();
    log.error({ err }, 'the database is unavailable: answering 503 until it is back');
  }

  available(log: OutageLogger): void {
    if (this.since === null) return;
    log.info(
      { outageMs: Date.now() - this.since, refused: this.failures },
      'the database is reachable again',
    );
    this.since = null;
    this.failures = 0;
  }

  get down(): boolean {
    return this.since !== null;
  }
}

/**
 * A batch's write and its COMMIT in one message: the extended protocol's Parse, Bind and Execute
 * of the statement (its rows as bind parameters), then Parse, Bind and Execute of `commit`, and a
 * single Sync. PostgreSQL runs them in order and answers once; the COMMIT no longer waits for the
 * statement's answer to reach this process and for its event loop to send the next message,
 * while the batch holds the organization's counter locks — measured, the backend's idle time in
 * the batch's transaction fell from 2.5 to 1.3 ms per batch at 500 tx/s (docs/benchmarks.md).
 *
 * If the statement fails, PostgreSQL skips everything up to the Sync: the COMMIT never runs, the
 * transaction stays open and aborted, and the caller's ROLLBACK ends it — nothing of the batch is
 * written, and the statement's error is what is thrown. If the COMMIT itself fails, the
 * transaction is over and nothing was written either.
 *
 * node-postgres sends one statement per Sync, but accepts any object with `submit` (its
 * "Submittable", how pg-cursor and pg-query-stream extend it) and hands it every message of the
 * answer; this one sends the messages above and settles on the single ReadyForQuery.
 */

/** What of node-postgres' Connection this uses (pg/lib/connection.js). */
interface ProtocolConnection {
  stream: { cork?: () => void; uncork?: () => void };
  parse(query: { text: string; name: string; types: number[] }): void;
  bind(config: { portal: string; statement: string; values: readonly string[] }): void;
  execute(config: { portal: string; rows: number }): void;
  sync(): void;
  sendCopyFail(message: string): void;
}

class StatementThenCommit {
  private failure: unknown = null;

  constructor(
    private readonly text: string,
    private readonly values: readonly string[],
    private readonly settle: (err: unknown) => void,
  ) {}

  submit(connection: ProtocolConnection): void {
    // One write to the socket for all the messages, as node-postgres does for its own statements.
    connection.stream.cork?.();
    try {
      connection.parse({ text: this.text, name: '', types: [] });
      connection.bind({ portal: '', statement: '', values: this.values });
      connection.execute({ portal: '', rows: 0 });
      connection.parse({ text: 'commit', name: '', types: [] });
      connection.bind({ portal: '', statement: '', values: [] });
      connection.execute({ portal: '', rows: 0 });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
  }

  // The statement's rows and both command tags: nothing the batch reads.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
  handleCopyInResponse(connection: ProtocolConnection): void {
    connection.sendCopyFail('a batch write takes no COPY data');
  }

  /**
   * An error answer. node-postgres forgets the active query on an error, so the ReadyForQuery
   * after the Sync never reaches this object: settle now.
   */
  handleError(err: unknown): void {
    this.failure = err;
    this.settle(err);
  }

  handleReadyForQuery(): void {
    if (this.failure === null) this.settle(null);
  }
}

/** The connection's own `query`, which takes a Submittable (node-postgres' Client). */
interface SubmittableClient {
  query(submittable: StatementThenCommit): unknown;
}

/**
 * Runs `text` with `values` and then COMMIT, on `conn` (a node-postgres client inside a
 * transaction), in one round trip. Rejects with the statement's or the COMMIT's error.
 */
export function statementThenCommit(
  conn: object,
  text: string,
  values: readonly string[],
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (err: unknown) => {
      if (settled) return;
      settled = true;
      if (err === null) resolve();
      // node-postgres hands over a DatabaseError (its SQLSTATE in `code`) or its own Error.
      else reject(err instanceof Error ? err : new Error('the batch write failed', { cause: err }));
    };
    (conn as SubmittableClient).query(new StatementThenCommit(text, values, settle));
  });
}

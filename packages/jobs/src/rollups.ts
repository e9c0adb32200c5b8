/** Keeps the spend rollups analytics read (@reins/ledger's rollups.ts) up with the audit stream. */
import { inTransaction, orgsToRoll, rollOrg, ROLLUP_BATCH, withConnection } from '@reins/ledger';
import type { Job } from './scheduler.js';

export function rollupJob(everyMs: number, batch = ROLLUP_BATCH): Job {
  return {
    name: 'rollups',
    everyMs,
    async run(ctx) {
      const orgs = await withConnection(ctx.orm, orgsToRoll);
      let more = false;
      for (const orgId of orgs) {
        if (ctx.signal.aborted) return false;
        // Another worker holding this org's cursor answers null: it is being done.
        const n = await inTransaction(ctx.orm, (conn) => rollOrg(conn, orgId, batch));
        if (n === batch) more = true;
      }
      return more;
    },
  };
}

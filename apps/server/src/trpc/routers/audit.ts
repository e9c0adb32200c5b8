import { z } from 'zod';
import { auditCsvInput, listAuditInput, startVerificationInput } from '../../schemas/audit.js';
import { parseInput } from '../../schemas/common.js';
import { exportAuditCsv, listAuditLog, verifyAuditLog } from '../../services/auditLog.js';
import { getAuditVerification, startAuditVerification } from '../../services/auditVerifications.js';
import { authedProcedure, rawInput, router } from '../trpc.js';

const byId = z.strictObject({ id: z.string().min(1).max(100) });

/** The audit log (`/api/v1/audit-log`): the same services as the REST routes. */
export const auditRouter = router({
  list: authedProcedure
    .input(rawInput(listAuditInput))
    .query(({ ctx, input }) => listAuditLog(ctx.reins, input)),
  /**
   * The CSV export as a stream of text chunks (header row first): use `httpBatchStreamLink` on
   * the client. Concatenated, the chunks are exactly the body of `GET /api/v1/audit-log/csv`.
   */
  csv: authedProcedure.input(rawInput(auditCsvInput.partial())).query(({ ctx, input }) => {
    // Checked before the stream starts: a refusal is the procedure's error (403), not a failure
    // in the middle of a stream whose status is already sent.
    const { stream } = exportAuditCsv(ctx.reins, input);
    // Not an async generator: one that is returned before its first step never runs its
    // `finally`, and the export (its slot, its connection) would outlive the call.
    const chunks: AsyncIterable<string> = {
      [Symbol.asyncIterator]() {
        const it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
        return {
          async next() {
            const r = await it.next();
            return r.done
              ? { done: true, value: undefined }
              : { done: false, value: String(r.value) };
          },
          return() {
            stream.destroy();
            return Promise.resolve({ done: true, value: undefined });
          },
        };
      },
    };
    return chunks;
  }),
  verify: authedProcedure.query(({ ctx }) => verifyAuditLog(ctx.reins, {})),
  /** A full verification from the chain's start, as a background job (poll `getVerification`). */
  startVerification: authedProcedure
    .input(rawInput(startVerificationInput.optional()))
    .mutation(({ ctx, input }) => startAuditVerification(ctx.reins, input ?? {})),
  getVerification: authedProcedure
    .input(rawInput(byId))
    .query(({ ctx, input }) => getAuditVerification(ctx.reins, parseInput(byId, input).id)),
});

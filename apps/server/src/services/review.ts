/**
 * The manual review of flagged transactions. A `flag` decision records the transaction normally
 * and opens its review (the recorder's insert sets `review_state = 'open'`); someone holding
 * `transactions:review` then approves or rejects it, once: a decision is final (409
 * `ALREADY_REVIEWED` after it), and it is audited as `transaction.reviewed` in the same database
 * transaction as the update.
 */
import { TransactionRecord } from '@reins/db';
import { connectionOf, sqlOf, writeAudit } from '@reins/ledger';
import type { Ctx } from '../core.js';
import { Conflict, NotFound } from '../errors.js';
import { parseInput } from '../schemas/common.js';
import { reviewInput } from '../schemas/transactions.js';
import { requirePermission } from './auth.js';
import { transactionView } from './transactions.js';

interface ReviewRow {
  id: string;
  action: string;
  rule_id: string | null;
  review_state: string | null;
  reviewed_by: string | null;
  reviewed_at: Date | null;
  review_note: string | null;
}

/** Refuses what is not awaiting a review: a transaction never flagged, or one already decided. */
function assertOpen(row: ReviewRow): void {
  if (row.review_state === null) {
    throw new Conflict(
      'NOT_FLAGGED',
      `Transaction ${row.id} was not flagged (action "${row.action}"); only flagged transactions are reviewed`,
      { id: row.id, action: row.action },
    );
  }
  if (row.review_state !== 'open') {
    throw new Conflict(
      'ALREADY_REVIEWED',
      `Transaction ${row.id} was already ${row.review_state}; a review decision is final`,
      {
        id: row.id,
        review: {
          state: row.review_state,
          reviewedBy: row.reviewed_by,
          reviewedAt: row.reviewed_at ? new Date(row.reviewed_at).toISOString() : null,
          note: row.review_note,
        },
      },
    );
  }
}

/** POST /api/v1/transactions/:id/review `{decision: 'approved'|'rejected', note?}` */
export async function reviewTransaction(ctx: Ctx, id: string, raw: unknown) {
  requirePermission(ctx, 'transactions:review');
  const body = parseInput(reviewInput, raw);
  const note = body.note ?? null;
  const at = new Date(ctx.core.clock()).toISOString();
  return ctx.em.transactional(async (em) => {
    const sql = sqlOf(em);
    // The row lock orders two reviews of one transaction: the second finds the first's decision.
    const [row] = await sql<ReviewRow>(
      `select id, action, rule_id, review_state, reviewed_by, reviewed_at, review_note
         from transaction_record where org_id = ? and id = ? for update`,
      [ctx.orgId, id],
    );
    if (!row) throw new NotFound('Transaction', id);
    assertOpen(row);
    await sql(
      `update transaction_record
          set review_state = ?, reviewed_by = ?, reviewed_at = ?, review_note = ?
        where org_id = ? and id = ?`,
      [body.decision, ctx.keyId ?? ctx.userId, at, note, ctx.orgId, id],
    );
    // The reviewer's name: the key's, or the dashboard user's (their name, else their email).
    const [key] = await sql<{ name: string | null }>(
      ctx.keyId !== null
        ? 'select name from api_key where org_id = ? and id = ?'
        : 'select coalesce(name, email) as name from app_user where org_id = ? and id = ?',
      [ctx.orgId, ctx.keyId ?? ctx.userId],
    );
    await writeAudit(connectionOf(em), [
      {
        orgId: ctx.orgId,
        eventType: 'transaction.reviewed',
        actor: ctx.actor,
        entityType: 'transaction',
        entityId: id,
        occurredAt: at,
        metadata: {
          decision: body.decision,
          note,
          reviewer: {
            keyId: ctx.keyId,
            ...(ctx.userId ? { userId: ctx.userId } : {}),
            name: key?.name ?? null,
          },
          // The rule that flagged it. No `action` key: the audit log's `action=policy_rule.flag`
          // filter reads `metadata.action` and must keep finding the flagging events only.
          ruleId: row.rule_id,
        },
      },
    ]);
    const t = await em.findOne(
      TransactionRecord,
      { id, orgId: ctx.orgId },
      { exclude: ['evaluation'], refresh: true },
    );
    if (!t) throw new NotFound('Transaction', id);
    return { transaction: transactionView(t) };
  });
}

/**
 * Full verifications of the audit hash chain (issue 22): the incremental verify of
 * `GET /api/v1/audit-log/verify` starts at the last checkpoint and never reads the links before
 * it again; this walks the whole chain from the genesis, as a background job (`audit-verify` in
 * `@reins/jobs`) whose progress and result are read here.
 */
import { AuditVerification } from '@reins/db';
import type { AuditVerificationResult } from '@reins/jobs';
import { newId } from '@reins/ledger';
import type { Ctx } from '../core.js';
import { NotFound } from '../errors.js';
import { parseInput } from '../schemas/common.js';
import { startVerificationInput } from '../schemas/audit.js';
import { requirePermission } from './auth.js';

export type AuditVerificationStatus = 'queued' | 'running' | 'done' | 'failed';

/** A full verification as the API shows it. */
export interface AuditVerificationView {
  id: string;
  status: AuditVerificationStatus;
  progress: {
    /** Links verified so far. */
    checked: number;
    /** The head's seq the walk goes to (null until it starts). */
    total: number | null;
    /** 0–100 (null until it starts). */
    pct: number | null;
  };
  /** Set when `status` is `done`: the inline verify's fields, from the genesis (`from` 0). */
  result: AuditVerificationResult | null;
  /** Set when `status` is `failed`. */
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const isoOrNull = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function view(row: AuditVerification): AuditVerificationView {
  const total = row.total ?? null;
  const done = row.status === 'done';
  return {
    id: row.id,
    status: row.status as AuditVerificationStatus,
    progress: {
      checked: row.checked,
      total,
      pct:
        total === null
          ? null
          : total === 0 || done
            ? done
              ? 100
              : 0
            : Math.min(100, Math.floor((row.checked * 100) / total)),
    },
    result: (row.result as AuditVerificationResult | null | undefined) ?? null,
    error: row.error ?? null,
    createdAt: row.createdAt.toISOString(),
    startedAt: isoOrNull(row.startedAt),
    finishedAt: isoOrNull(row.finishedAt),
  };
}

/**
 * Queues a full verification of the caller's organization's chain, or answers the one already
 * queued or running (one at a time per organization: a second would walk the same links).
 */
export async function startAuditVerification(
  ctx: Ctx,
  raw: unknown = {},
): Promise<AuditVerificationView> {
  requirePermission(ctx, 'audit:read');
  parseInput(startVerificationInput, raw);
  const pending = await ctx.em.findOne(
    AuditVerification,
    { orgId: ctx.orgId, status: { $in: ['queued', 'running'] } },
    { orderBy: { createdAt: 'asc' } },
  );
  if (pending) return view(pending);
  const row = ctx.em.create(AuditVerification, {
    id: newId('ver'),
    orgId: ctx.orgId,
    status: 'queued',
    checked: 0,
    total: null,
    cursorSeq: 0,
    attempts: 0,
    createdAt: new Date(ctx.core.clock()),
  });
  await ctx.em.flush();
  return view(row);
}

export async function getAuditVerification(ctx: Ctx, id: string): Promise<AuditVerificationView> {
  requirePermission(ctx, 'audit:read');
  const row = await ctx.em.findOne(AuditVerification, { id, orgId: ctx.orgId });
  if (!row) throw new NotFound('AuditVerification', id);
  return view(row);
}

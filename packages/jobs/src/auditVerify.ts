/**
 * The `audit-verify` job: a full verification of an organization's audit hash chain, from the
 * genesis to the head read when it starts, whatever the last checkpoint says (that is what the
 * incremental verify of the API trusts and this one does not). Asked for with
 * `POST /api/v1/audit-log/verifications`; the API shows its progress and result.
 *
 * As the backtest job: claim (one `UPDATE … FOR UPDATE SKIP LOCKED`: any number of workers take
 * different verifications), walk (the ledger's `walkLinks`, chunk after chunk — never the chain
 * in memory), write. After every chunk the job writes where it is (the last link verified and
 * its hash) and renews its lease; a worker that dies leaves a lease that expires, and the next
 * claim goes on from the last position written. A renewal that finds the lease taken stops.
 * A chain found intact moves the organization's checkpoint to the head it walked to.
 */
import { hostname } from 'node:os';
import {
  advanceCheckpoint,
  beginVerify,
  dollarQuote,
  endVerify,
  GENESIS,
  plainSql,
  randomBase62,
  walkLinks,
  type BrokenLink,
  type ChainHead,
  type VerifyResult,
  type WalkState,
} from '@reins/ledger';
import { isDatabaseError, LeaseLost, leased } from './lease.js';
import type { Job, JobContext } from './scheduler.js';

const lit = dollarQuote;

/** How long a claim holds without renewal; renewed after every chunk. */
export const AUDIT_VERIFY_LEASE_MS = 60_000;
/** Links walked between two progress writes (and lease renewals). */
export const AUDIT_VERIFY_CHUNK = 20_000;
/** Claims of one verification before it is given up as failed. */
export const AUDIT_VERIFY_MAX_ATTEMPTS = 5;

export interface AuditVerifyJobOptions {
  leaseMs?: number;
  /** Links per progress write. */
  chunkSize?: number;
  /** Who claims (`locked_by`); default host, pid and a random tail. */
  workerId?: string;
}

interface Claimed {
  id: string;
  org_id: string;
  attempts: number;
  checked: string;
  target: ChainHead | null;
  cursor_seq: string;
  cursor_hash: string | null;
  cursor_event_id: string | null;
}

/** The result a finished verification shows: the inline verify's fields. */
export type AuditVerificationResult = VerifyResult & {
  checkpoint: { seq: number; hash: string; verifiedAt: string } | null;
};

const lease = leased('audit_verification');

export function auditVerifyJob(everyMs: number, opts: AuditVerifyJobOptions = {}): Job {
  const leaseMs = opts.leaseMs ?? AUDIT_VERIFY_LEASE_MS;
  const chunkSize = opts.chunkSize ?? AUDIT_VERIFY_CHUNK;
  const me = opts.workerId ?? `${hostname()}:${String(process.pid)}:${randomBase62(6)}`;
  return {
    name: 'audit-verify',
    everyMs,
    async run(ctx) {
      const claimed = await claimVerification(ctx, me, leaseMs);
      if (!claimed) return false;
      await runClaimed(ctx, claimed, me, { leaseMs, chunkSize });
      return true;
    },
  };
}

/** Claims the oldest claimable verification: queued, or running with an expired lease. */
export function claimVerification(
  ctx: JobContext,
  me: string,
  leaseMs: number,
): Promise<Claimed | null> {
  return lease.claim<Claimed>(ctx, me, leaseMs, {
    returning: `r.id, r.org_id, r.attempts, r.checked, r.target, r.cursor_seq, r.cursor_hash,
                r.cursor_event_id`,
  });
}

async function runClaimed(
  ctx: JobContext,
  v: Claimed,
  me: string,
  o: { leaseMs: number; chunkSize: number },
): Promise<void> {
  const mine = lease.mine(v, me);
  if (v.attempts > AUDIT_VERIFY_MAX_ATTEMPTS) {
    await lease.finish(ctx, mine, {
      status: 'failed',
      error: `gave up after ${String(AUDIT_VERIFY_MAX_ATTEMPTS)} attempts`,
    });
    ctx.log.error({ verificationId: v.id, orgId: v.org_id }, 'audit verification failed');
    return;
  }
  try {
    const result = await walk(ctx, v, mine, o);
    if (result === null) return;
    await lease.finish(ctx, mine, {
      status: 'done',
      result,
      set: `checked = ${String(result.checked)}`,
    });
    const log = result.valid ? ctx.log.info.bind(ctx.log) : ctx.log.error.bind(ctx.log);
    log(
      {
        verificationId: v.id,
        orgId: v.org_id,
        checked: result.checked,
        broken: result.firstBrokenLink,
      },
      result.valid ? 'audit chain verified' : 'audit chain broken',
    );
  } catch (err) {
    if (err instanceof LeaseLost) {
      ctx.log.warn({ verificationId: v.id }, 'audit verification taken over by another worker');
      return;
    }
    if (isDatabaseError(err)) throw err;
    await lease.finish(ctx, mine, {
      status: 'failed',
      error: err instanceof Error ? err.message : String(err),
    });
    ctx.log.error({ err, verificationId: v.id }, 'audit verification failed');
  }
}

/** The walk, from where the row says: null when it stopped because the host is stopping. */
async function walk(
  ctx: JobContext,
  v: Claimed,
  mine: string,
  o: { leaseMs: number; chunkSize: number },
): Promise<AuditVerificationResult | null> {
  const sql = plainSql(ctx.orm);
  let head = v.target;
  let state: WalkState;
  const result = (
    broken: BrokenLink | null,
    checkpoint: AuditVerificationResult['checkpoint'],
  ) => ({
    valid: broken === null,
    checked: state.checked,
    headSeq: head?.seq ?? 0,
    from: 0,
    firstBrokenLink: broken,
    checkpoint,
  });
  if (head === null) {
    const begun = await beginVerify(sql, v.org_id, null);
    state = begun.state;
    if (begun.broken) return result(begun.broken, null);
    head = begun.head;
    await renew(ctx, mine, o.leaseMs, state, head);
  } else {
    state = {
      seq: Number(v.cursor_seq),
      hash: v.cursor_hash ?? GENESIS,
      eventId: v.cursor_event_id,
      checked: Number(v.checked),
      metCheckpoint: false,
    };
  }
  while (state.seq < head.seq) {
    const broken = await walkLinks(sql, v.org_id, state, head.seq, { limit: o.chunkSize });
    if (broken) return result(broken, null);
    await renew(ctx, mine, o.leaseMs, state, null);
    if (ctx.signal.aborted) {
      await lease.requeue(ctx, mine);
      return null;
    }
  }
  const broken = await endVerify(sql, v.org_id, head, state, null);
  if (broken) return result(broken, null);
  const cp = await advanceCheckpoint(ctx.orm, v.org_id, head, {
    actor: 'worker',
    at: ctx.now(),
    from: 0,
    checked: state.checked,
  });
  return result(null, cp ? { seq: cp.seq, hash: cp.hash, verifiedAt: cp.verifiedAt } : null);
}

/** Progress (the walk's state; the target once known), and the lease extended. */
function renew(
  ctx: JobContext,
  mine: string,
  leaseMs: number,
  state: WalkState,
  target: ChainHead | null,
): Promise<void> {
  const first =
    target === null
      ? ''
      : `target = ${lit(JSON.stringify(target))}::jsonb, total = ${String(target.seq)}, `;
  return lease.renew(
    ctx,
    mine,
    leaseMs,
    `${first}checked = ${String(state.checked)}, cursor_seq = ${String(state.seq)},
     cursor_hash = ${lit(state.hash)},
     cursor_event_id = ${state.eventId === null ? 'null' : lit(state.eventId)}`,
  );
}

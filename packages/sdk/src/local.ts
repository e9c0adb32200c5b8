/**
 * reins-sdk/local: everything the root entry has, and a `ReinsSDK` that also decides in-process
 * (`mode: 'local'`) with the same engine and price table as the server, bundled here (~0.8 MB)
 * so that the root entry stays small and dependency-free. Remote mode works as from the root.
 *
 * ```ts
 * import { ReinsSDK } from 'reins-sdk/local';
 * const sdk = new ReinsSDK({ mode: 'local' });
 * ```
 */
import { estimateCost, MICROS_PER_CENT, type Decision, type TransactionInput } from '@reins/engine';
import { ReinsBlockedError, type PolicyResult } from './errors.js';
import type { Estimate } from './estimate.js';
import { LocalPolicy } from './localPolicy.js';
import {
  keyRefused,
  message,
  ReinsSDK as RemoteSDK,
  uuid,
  type CallContext,
  type Pre,
  type ReinsSDKOptions,
  type SDKStats,
  type UsageFigures,
  type Vendor,
} from './sdk.js';

export * from './index.js';
export { LocalPolicy, type LocalDecision, type SdkStateWindow } from './localPolicy.js';
export type { TransactionInput } from '@reins/engine';

/**
 * The root entry's `ReinsSDK` with `mode: 'local'`: the org's rules and totals are synced from
 * `GET /api/v1/sdk/state` in the background, each call is decided in-process, and what calls
 * cost is reported in bulk. Without `mode: 'local'` it is the remote SDK.
 */
export class ReinsSDK extends RemoteSDK {
  private readonly policy: LocalPolicy | null;

  constructor(options: ReinsSDKOptions = {}) {
    super(options);
    this.policy =
      options.mode === 'local' ? new LocalPolicy(this.transport, this.clock, this.timeoutMs) : null;
    this.policy?.start(options.syncIntervalMs ?? 2000, (err) => {
      this.warn(
        `Reins: could not refresh the local policy (${message(err)}); deciding on the last one`,
      );
    });
  }

  /** Stops background timers (and the local policy's sync) after a last flush. */
  override async close(): Promise<SDKStats> {
    const stats = await super.close();
    this.policy?.stop();
    return stats;
  }

  /** Local mode: reads the org's rules and totals now (also done in the background). */
  async sync(): Promise<void> {
    if (!this.policy) throw new Error('sync() is for mode: "local"');
    await this.policy.sync();
  }

  /**
   * Local mode: the decision for a transaction, in-process (nothing recorded), with the trace
   * when asked. Amounts in cents or microcents as for the REST API.
   */
  evaluateLocally(
    tx: Omit<TransactionInput, 'amountMicros'> & { amount?: number; amountMicros?: number },
    options: { trace?: boolean } = {},
  ): Decision {
    if (!this.policy?.ready)
      throw new Error('evaluateLocally() needs mode: "local" and a first sync()');
    const { amount, amountMicros, ...rest } = tx;
    return this.policy.decide(
      { ...rest, amountMicros: amountMicros ?? (amount ?? 0) * MICROS_PER_CENT },
      options.trace ?? false,
    ).decision;
  }

  protected override localSupported(): boolean {
    return true;
  }

  protected override precheck(vendor: Vendor, est: Estimate, ctx: CallContext): Promise<Pre> {
    return this.policy
      ? this.precheckLocal(this.policy, vendor, est, ctx)
      : super.precheck(vendor, est, ctx);
  }

  /** Local mode prices what it reports (with the synced overrides) and holds it until acknowledged. */
  protected override observedCostMicros(
    pre: Pre,
    vendor: Vendor,
    model: string,
    u: UsageFigures,
  ): number | null {
    const policy = this.policy;
    if (!policy) return null;
    const cost = estimateCost(vendor, model, u, {
      at: this.clock(),
      overrides: policy.priceOverrides(),
    });
    const costMicros = cost.costMicros ?? 0;
    if (pre.kind === 'local') {
      policy.update(pre.id, {
        costMicros,
        tokensIn: u.inputTokens,
        tokensOut: u.outputTokens,
        requests: 1,
      });
    }
    return costMicros;
  }

  protected override acknowledged(localId: string): void {
    this.policy?.ack(localId);
  }

  protected override released(localId: string): void {
    this.policy?.release(localId);
  }

  protected override reportDelayMs(): number {
    return this.policy ? (this.options.reportIntervalMs ?? 500) : 0;
  }

  private async precheckLocal(
    local: LocalPolicy,
    vendor: Vendor,
    est: Estimate,
    ctx: CallContext,
  ): Promise<Pre> {
    // A key revoked after the last good sync: the synced rules must not keep deciding for it.
    const refused = local.lastFailure?.error;
    if (keyRefused(refused)) return this.failOpen(refused);
    if (!local.ready) {
      // Never synced and the last attempt failed recently: no round trip per call until the
      // background sync succeeds.
      const failure = local.lastFailure;
      if (failure && this.clock() - failure.at < (this.options.syncIntervalMs ?? 2000)) {
        return this.failOpen(failure.error);
      }
      try {
        await local.sync();
      } catch (err) {
        return this.failOpen(err);
      }
    }
    const nowMs = this.clock();
    const cost = estimateCost(
      vendor,
      est.model,
      { inputTokens: est.tokensIn, outputTokens: est.tokensOut },
      { at: nowMs, overrides: local.priceOverrides() },
    );
    const input: TransactionInput = {
      vendor,
      model: est.model,
      agentId: ctx.agentId ?? null,
      userId: ctx.userId ?? null,
      userRoles: ctx.userRoles,
      teamId: ctx.teamId ?? null,
      projectId: ctx.projectId ?? null,
      amountMicros: cost.costMicros ?? 0,
      tokensIn: est.tokensIn,
      tokensOut: est.tokensOut,
      metadata: ctx.metadata,
    };
    const { decision, refs } = local.decide(input);
    const policyResult: PolicyResult = {
      action: decision.action,
      ruleId: decision.ruleId,
      ruleName: decision.ruleName,
      message: decision.message,
    };
    if (!decision.admitted) {
      this.counts.blocked++;
      throw new ReinsBlockedError(policyResult, { ...decision.details }, null);
    }
    const retryAfter = local.rateLimited(vendor);
    if (retryAfter !== null) {
      this.counts.blocked++;
      throw new ReinsBlockedError(
        {
          action: 'block',
          ruleId: null,
          ruleName: null,
          message: `Rate limit for ${vendor} reached; retry in ${String(retryAfter)} s`,
        },
        { retryAfter, vendor },
        null,
      );
    }
    this.notify(policyResult, null, vendor, est.model, cost.costMicros);
    const id = uuid();
    local.hold(id, vendor, refs, {
      costMicros: cost.costMicros ?? 0,
      tokensIn: est.tokensIn,
      tokensOut: est.tokensOut,
      requests: 1,
    });
    return { kind: 'local', id, priced: cost.known };
  }
}

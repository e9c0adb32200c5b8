/** What `wrap.bench.ts` and its server child (`server.ts`) share: the orgs, rules and messages. */

/**
 * One organization per variant that records transactions, so each is counted on its own
 * (`probes`: the bare reservations that break the remote overhead down).
 */
export const ORG_NAMES = ['remote', 'local', 'local-inprocess', 'probes'] as const;
export type OrgName = (typeof ORG_NAMES)[number];

export const AGENT_ID = 'bench-agent';
export const USER_ID = 'bench-user';

/**
 * A small, realistic policy (docs dialect) that every call is evaluated against and none blocks:
 * org caps (daily spend, hourly requests), a model deny list, a per-call cap, the agent's monthly
 * budget and a per-user daily budget — windows by org, agent and user.
 */
export const BENCH_RULES: { name: string; [k: string]: unknown }[] = [
  {
    name: 'Org daily cost cap',
    priority: 1000,
    conditions: { timeWindow: 'daily' },
    action: 'block',
    actionConfig: { limitCents: 100_000_000, message: 'Org daily AI spend cap reached' },
  },
  {
    name: 'Org hourly request cap',
    priority: 990,
    conditions: { timeWindow: 'hourly' },
    action: 'block',
    actionConfig: { metric: 'requests', maxTransactions: 10_000_000 },
  },
  {
    name: 'Model deny list',
    priority: 950,
    conditions: { models: ['o1-pro', 'claude-3-opus*'] },
    action: 'block',
    actionConfig: { message: 'This model is not approved for use' },
  },
  {
    name: 'Hard cap: $50 per call',
    priority: 920,
    conditions: { amountCents: { min: 5001 } },
    action: 'block',
    actionConfig: { message: 'Exceeds $50 limit' },
  },
  {
    name: 'Bench agent monthly budget',
    priority: 900,
    conditions: { agentIds: [AGENT_ID], timeWindow: 'monthly' },
    action: 'block',
    actionConfig: { per: 'agent', limitCents: 50_000_000, message: 'Agent budget exhausted' },
  },
  {
    name: 'Per-user daily budget',
    priority: 800,
    conditions: { timeWindow: 'daily' },
    action: 'block',
    actionConfig: { per: 'user', limitCents: 50_000_000, message: 'Daily AI budget used up' },
  },
];

export interface BenchOrg {
  orgId: string;
  /** The org's admin key. */
  key: string;
}

export interface TxCount {
  /** An `OrgName`, or the org id of an org this benchmark did not create. */
  org: string;
  phase: string;
  status: string;
  n: number;
  tokensIn: number;
  tokensOut: number;
  amountMicros: number;
}

export type ServerMessage =
  | {
      type: 'ready';
      url: string;
      orgs: Record<OrgName, BenchOrg>;
      /** The server's database, for the benchmark to drop if this process cannot. */
      database: string;
    }
  | { type: 'cpu'; ms: number }
  | { type: 'counts'; rows: TxCount[] }
  | { type: 'error'; message: string };

export type ParentMessage = { type: 'cpu' } | { type: 'counts' };

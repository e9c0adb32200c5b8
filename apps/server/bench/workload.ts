/**
 * The HTTP benchmark's organization: 20 docs-dialect rules and the transactions its agents send.
 *
 * Ten agents on three vendors, 200 users in four roles, small amounts (1–25 cents). Every
 * transaction touches the org-wide daily and hourly counters (the hot rows) plus per-agent,
 * per-user, per-team and per-vendor windows. Limits are set so that nothing blocks during a run
 * except on purpose: every 50th transaction asks for a deny-listed model and must get a 403.
 * Everything is deterministic (a seeded PRNG), so every run sends the same traffic.
 */
import type { DocsRuleInput } from '@reins/engine';

export const AGENTS = [
  'support-bot-1',
  'support-bot-2',
  'sales-assistant',
  'data-enrichment',
  'code-review',
  'doc-summarizer',
  'search-agent',
  'triage-bot',
  'finance-analyst',
  'onboarding-guide',
] as const;

const TEAM_OF: Record<(typeof AGENTS)[number], string> = {
  'support-bot-1': 'support',
  'support-bot-2': 'support',
  'sales-assistant': 'sales',
  'data-enrichment': 'data',
  'code-review': 'eng',
  'doc-summarizer': 'eng',
  'search-agent': 'data',
  'triage-bot': 'support',
  'finance-analyst': 'finance',
  'onboarding-guide': 'sales',
};

/** Models per vendor: [cheap, premium]. */
const MODELS = {
  openai: { cheap: ['gpt-4o-mini', 'gpt-4.1-mini'], premium: ['gpt-4o', 'o3-mini'] },
  anthropic: { cheap: ['claude-3-5-haiku', 'claude-haiku-4-5'], premium: ['claude-sonnet-4-5'] },
  google: { cheap: ['gemini-2.5-flash', 'gemini-2.0-flash'], premium: ['gemini-2.5-pro'] },
} as const;
type Vendor = keyof typeof MODELS;

const ROLES = ['pro', 'enterprise', 'trial', 'free'] as const;
const USERS = 200;
const CHANNELS = ['slack', 'email', 'web', 'api', 'batch'];
const PROMPTS = [
  'Summarize the Q4 earnings report for the leadership sync',
  'Draft a reply to the customer about the delayed shipment',
  'Classify this support ticket by urgency and product area',
  'Extract company name, size and industry from this profile',
  'Review this pull request for security issues',
  'Translate the onboarding checklist into German',
];

/** The model that the deny-list rule blocks: every 50th transaction asks for it. */
export const DENIED_MODEL = 'gpt-4-32k';
const BLOCK_EVERY = 50;

const ALL_AGENTS = [...AGENTS];
const ALL_TEAMS = [...new Set(Object.values(TEAM_OF))];

/** The 20 rules, in the docs dialect (`POST /api/policy-rules`). */
export function benchRules(): DocsRuleInput[] {
  const monthlyBudget = (name: string, agentIds: string[], limitCents: number): DocsRuleInput => ({
    name,
    priority: 900,
    conditions: { agentIds, timeWindow: 'monthly' },
    action: 'block',
    actionConfig: { per: 'agent', limitCents, message: `${name} exhausted` },
  });
  return [
    {
      name: 'Org daily cost cap',
      description: 'One counter every transaction touches: the whole org, today',
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
      name: 'Vendor allowlist',
      priority: 960,
      conditions: { vendors: ['cohere', 'mistral', 'perplexity'], amountCents: { min: 1 } },
      action: 'block',
      actionConfig: { message: 'Vendor not on approved list. Contact your admin.' },
    },
    {
      name: 'Model deny list',
      priority: 950,
      conditions: { models: [DENIED_MODEL, 'o1-pro', 'claude-3-opus*'] },
      action: 'block',
      actionConfig: { message: 'This model is not approved for use' },
    },
    {
      name: 'Free users: no premium models',
      priority: 940,
      conditions: { userRoles: ['free'], models: ['gpt-4o', 'claude-sonnet-*', 'gemini-2.5-pro'] },
      action: 'block',
      actionConfig: { message: 'Upgrade to Pro to use premium models', redirectUrl: '/upgrade' },
    },
    {
      name: 'Data pipelines must name a project',
      priority: 930,
      conditions: { agentIds: ['data-enrichment'], requireProjectId: true },
      action: 'block',
      actionConfig: { message: 'data-enrichment calls must carry a projectId' },
    },
    {
      name: 'Hard cap: $50 per call',
      priority: 920,
      conditions: { amountCents: { min: 5001 } },
      action: 'block',
      actionConfig: { message: 'Exceeds $50 limit' },
    },
    // Budgets sized so that a saturated run of two hours exhausts none (a `--soak 600` ran the
    // finance analyst's $10,000 out, and every later call of it was — rightly — blocked).
    monthlyBudget('Support bots monthly budget', ['support-bot-1', 'support-bot-2'], 100_000_000),
    monthlyBudget(
      'Internal tools monthly budget',
      ['data-enrichment', 'code-review', 'doc-summarizer', 'search-agent'],
      40_000_000,
    ),
    monthlyBudget(
      'Customer-facing agents monthly budget',
      ['sales-assistant', 'triage-bot', 'onboarding-guide'],
      60_000_000,
    ),
    monthlyBudget('Finance analyst monthly budget', ['finance-analyst'], 20_000_000),
    {
      name: 'Per-user daily budget',
      priority: 800,
      conditions: { timeWindow: 'daily' },
      action: 'block',
      actionConfig: {
        per: 'user',
        limitCents: 500_000,
        message: 'Your daily AI budget is used up',
      },
    },
    {
      name: 'Team weekly budget',
      priority: 800,
      conditions: { teamIds: ALL_TEAMS, timeWindow: 'weekly' },
      action: 'block',
      actionConfig: { per: 'team', limitCents: 20_000_000 },
    },
    {
      name: 'Trial users: 80% of monthly allowance',
      priority: 700,
      conditions: { userRoles: ['trial'], timeWindow: 'monthly' },
      action: 'warn',
      actionConfig: { per: 'user', limitCents: 200_000, thresholdPct: 80 },
    },
    {
      name: 'Agent at 80% of its monthly budget',
      priority: 690,
      conditions: { agentIds: ALL_AGENTS, timeWindow: 'monthly' },
      action: 'warn',
      actionConfig: { per: 'agent', limitCents: 5_000_000, thresholdPct: 80 },
    },
    {
      name: 'Vendor monthly spend at 90%',
      priority: 680,
      conditions: { timeWindow: 'monthly' },
      action: 'warn',
      actionConfig: { per: 'vendor', limitCents: 50_000_000, thresholdPct: 90 },
    },
    {
      name: 'Search agent hourly burst (shadow)',
      description: 'Trying out a tighter burst limit before enforcing it',
      priority: 650,
      mode: 'shadow',
      conditions: { agentIds: ['search-agent'], timeWindow: 'hourly' },
      action: 'block',
      actionConfig: { per: 'agent', metric: 'requests', maxTransactions: 100 },
    },
    {
      name: 'Unknown model',
      priority: 600,
      conditions: { unknownModel: true },
      action: 'flag',
      actionConfig: { message: 'Model not in the price table: review the stated cost' },
    },
    {
      name: 'Trial users on premium models',
      priority: 450,
      conditions: {
        userRoles: ['trial'],
        models: ['gpt-4o', 'claude-sonnet-4-5', 'gemini-2.5-pro'],
      },
      action: 'warn',
      actionConfig: { message: 'Trial users are on premium models' },
    },
    {
      name: 'Large call review',
      priority: 400,
      conditions: { amountCents: { min: 20 } },
      action: 'flag',
      actionConfig: { message: 'Calls of 20 cents and more are reviewed weekly' },
    },
  ];
}

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TxTemplate {
  /** The body without `metadata` (added per request, with the request's sequence number). */
  fields: Record<string, unknown>;
  amountCents: number;
  /** Must be answered 403 (deny-listed model). */
  expectBlock: boolean;
}

/** `count` transaction templates; transaction `seq` uses template `seq % count`. */
export function makeTemplates(count: number): TxTemplate[] {
  const rand = rng(20_261_125);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const roleOf = (u: number) => ROLES[u % 7 === 0 ? 3 : u % 5 === 0 ? 2 : u % 3 === 0 ? 1 : 0];
  const out: TxTemplate[] = [];
  for (let i = 0; i < count; i++) {
    const agent = pick(AGENTS);
    const r = rand();
    const vendor: Vendor = r < 0.5 ? 'openai' : r < 0.85 ? 'anthropic' : 'google';
    const u = Math.floor(rand() * USERS);
    const role = roleOf(u);
    const expectBlock = i % BLOCK_EVERY === BLOCK_EVERY - 1;
    const premium = role !== 'free' && rand() < 0.3;
    let model: string = expectBlock
      ? DENIED_MODEL
      : pick(premium ? MODELS[vendor].premium : MODELS[vendor].cheap);
    if (!expectBlock && i % 97 === 0) model = 'acme-finetune-v2'; // not in the price table
    const amountCents = 1 + Math.floor(rand() * 25);
    const tokensIn = 200 + Math.floor(rand() * 4000);
    const fields: Record<string, unknown> = {
      amount: amountCents,
      vendor: expectBlock ? 'openai' : vendor,
      model,
      agentId: agent,
      userId: `user-${String(u).padStart(3, '0')}`,
      userRoles: [role],
      teamId: TEAM_OF[agent],
      tokensIn,
      tokensOut: Math.floor(tokensIn / 4),
    };
    if (agent === 'data-enrichment' || rand() < 0.3) fields.projectId = `proj-${1 + (u % 12)}`;
    if (rand() < 0.5) fields.prompt = pick(PROMPTS);
    out.push({ fields, amountCents, expectBlock });
  }
  return out;
}

/** The JSON body of transaction `seq`: its template plus a unique `metadata.requestId`. */
export function bodyOf(t: TxTemplate, seq: number): string {
  return JSON.stringify({
    ...t.fields,
    metadata: { requestId: `req_${seq}`, channel: CHANNELS[seq % CHANNELS.length] },
  });
}

import { Organization, User } from '@reins/db';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '@reins/db';
import type { Ctx } from '../core.js';
import { NotFound, ValidationError } from '../errors.js';
import { parseInput } from '../schemas/common.js';
import { updateOrgInput } from '../schemas/org.js';
import { requirePermission } from './auth.js';
import { beginPolicyChange } from './policyChange.js';
import { newId } from '@reins/ledger';
import { audit } from './audit.js';
import { insertKey, type CreatedKey } from './keys.js';
import { createUserWithLink } from './users.js';

export interface NewOrg {
  name: string;
  timeZone?: string;
  defaultAction?: 'pass' | 'block';
  hourlyBudgetCents?: number | null;
  dailyBudgetCents?: number | null;
  weeklyBudgetCents?: number | null;
  monthlyBudgetCents?: number | null;
}

/** Creates an organization with an admin key (in one database transaction). */
export async function createOrganization(
  em: EntityManager,
  org: NewOrg,
  opts: { keyEnv: string; keyName?: string; secret?: string | undefined; actor: string; now: Date },
): Promise<{ orgId: string; key: CreatedKey }> {
  return em.transactional(async (tem) => {
    const o = tem.create(Organization, {
      id: newId('org'),
      name: org.name,
      timeZone: org.timeZone ?? 'UTC',
      defaultAction: org.defaultAction ?? 'pass',
      hourlyBudgetCents: org.hourlyBudgetCents ?? null,
      dailyBudgetCents: org.dailyBudgetCents ?? null,
      weeklyBudgetCents: org.weeklyBudgetCents ?? null,
      monthlyBudgetCents: org.monthlyBudgetCents ?? null,
      policyVersion: 0,
      createdAt: opts.now,
      updatedAt: opts.now,
    });
    const key = insertKey(
      tem,
      o.id,
      { name: opts.keyName ?? 'admin', permissions: ['*'], env: opts.keyEnv, secret: opts.secret },
      opts.now,
    );
    // The audit events reference the organization: it is written first.
    await tem.flush();
    await audit(tem, {
      orgId: o.id,
      eventType: 'organization.created',
      actor: opts.actor,
      entityType: 'organization',
      entityId: o.id,
      occurredAt: opts.now,
      metadata: { name: org.name },
    });
    await audit(tem, {
      orgId: o.id,
      eventType: 'api_key.created',
      actor: opts.actor,
      entityType: 'api_key',
      entityId: key.id,
      occurredAt: opts.now,
      metadata: { name: key.name, keyMasked: key.keyMasked, permissions: key.permissions },
    });
    return { orgId: o.id, key };
  });
}

export interface Bootstrapped {
  /** The organization and admin key created (an empty database), else null. */
  key: CreatedKey | null;
  orgId: string | null;
  /** The first dashboard admin created (no user existed yet) and their sign-in token. */
  admin: { userId: string; email: string; token: string } | null;
}

/**
 * First start: an empty database gets an organization and an admin key; a database without any
 * dashboard user gets its first admin (`adminEmail`, in the oldest organization) with a one-time
 * sign-in link. Returns what was created, to print once.
 */
export async function bootstrap(
  orm: Orm,
  opts: {
    keyEnv: string;
    secret?: string | undefined;
    adminEmail?: string;
    linkTtlMs?: number;
    now: Date;
  },
): Promise<Bootstrapped> {
  const em = orm.em.fork();
  // Serialize concurrent first starts (two processes on one fresh database).
  return em.transactional(async (tem) => {
    await tem
      .getConnection()
      .execute('select pg_advisory_xact_lock(7262537)', [], 'all', tem.getTransactionContext());
    const out: Bootstrapped = { key: null, orgId: null, admin: null };
    if ((await tem.count(Organization, {})) === 0) {
      const created = await createOrganization(
        tem,
        { name: 'Default organization' },
        { keyEnv: opts.keyEnv, secret: opts.secret, actor: 'system:bootstrap', now: opts.now },
      );
      out.key = created.key;
      out.orgId = created.orgId;
    }
    if (opts.adminEmail !== undefined && (await tem.count(User, {})) === 0) {
      const [oldest] = await listOrganizations(tem);
      if (oldest) {
        // Not audited: the organization's first events stay its creation and its admin key.
        const { user, token } = await createUserWithLink(
          tem,
          oldest.id,
          { email: opts.adminEmail, name: 'Admin', role: 'admin' },
          {
            actor: 'system:bootstrap',
            now: opts.now,
            ttlMs: opts.linkTtlMs ?? 24 * 60 * 60 * 1000,
            purpose: 'first_admin',
            quiet: true,
          },
        );
        out.admin = { userId: user.id, email: user.email, token };
      }
    }
    return out;
  });
}

/** All organizations, oldest first. */
export function listOrganizations(em: EntityManager): Promise<Organization[]> {
  return em.find(Organization, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
}

/** The organization `orgId`, or NotFound. */
export async function requireOrganization(em: EntityManager, orgId: string): Promise<Organization> {
  const org = await em.findOne(Organization, { id: orgId });
  if (!org) throw new NotFound('Organization', orgId);
  return org;
}

/** The caller's organization as `GET|PUT /api/org` show it. */
export interface OrgView {
  id: string;
  name: string;
  timeZone: string;
  defaultAction: 'pass' | 'block';
  hourlyBudgetCents: number | null;
  dailyBudgetCents: number | null;
  weeklyBudgetCents: number | null;
  monthlyBudgetCents: number | null;
  /** Bumped by every change of what evaluations read (rules, budgets, settings, vendors). */
  policyVersion: number;
  createdAt: string;
  updatedAt: string;
}

export function orgView(o: Organization): OrgView {
  return {
    id: o.id,
    name: o.name,
    timeZone: o.timeZone,
    defaultAction: o.defaultAction,
    hourlyBudgetCents: o.hourlyBudgetCents ?? null,
    dailyBudgetCents: o.dailyBudgetCents ?? null,
    weeklyBudgetCents: o.weeklyBudgetCents ?? null,
    monthlyBudgetCents: o.monthlyBudgetCents ?? null,
    policyVersion: o.policyVersion,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

/** The settings `PUT /api/org` and `reins orgs update` change. */
const SETTINGS = [
  'name',
  'timeZone',
  'defaultAction',
  'hourlyBudgetCents',
  'dailyBudgetCents',
  'weeklyBudgetCents',
  'monthlyBudgetCents',
] as const;
type Setting = (typeof SETTINGS)[number];

/**
 * Applies `input` to organization `orgId` as a policy change (the org's budgets, time zone and
 * default action are what every evaluation reads): audited as `organization.updated` with what
 * changed, the policy version bumped, and — for a new time zone — every window counter rebuilt
 * in the new zone's windows. Changing nothing writes nothing.
 */
export async function applyOrgUpdate(
  em: EntityManager,
  orgId: string,
  input: Partial<Pick<OrgView, Setting>>,
  opts: { actor: string; nowMs: number },
): Promise<OrgView> {
  return em.transactional(async (tem) => {
    const change = await beginPolicyChange(tem, orgId, opts.nowMs);
    const org = await requireOrganization(tem, orgId);
    await tem.refresh(org);
    const before = orgView(org);
    const changed: Setting[] = SETTINGS.filter(
      (k) => input[k] !== undefined && input[k] !== before[k],
    );
    if (changed.length === 0) return before;
    const patch = Object.fromEntries(changed.map((k) => [k, input[k]]));
    const now = new Date(opts.nowMs);
    await tem.nativeUpdate(Organization, { id: orgId }, { ...patch, updatedAt: now });
    await audit(tem, {
      orgId,
      eventType: 'organization.updated',
      actor: opts.actor,
      entityType: 'organization',
      entityId: orgId,
      occurredAt: now,
      metadata: {
        changed,
        before: Object.fromEntries(changed.map((k) => [k, before[k]])),
        after: patch,
      },
    });
    await change.commit();
    await tem.refresh(org);
    return orgView(org);
  });
}

/** GET /api/org */
export async function getOrg(ctx: Ctx): Promise<{ org: OrgView }> {
  requirePermission(ctx, 'policies:read');
  return { org: orgView(await requireOrganization(ctx.em, ctx.orgId)) };
}

/** PUT /api/org */
export async function updateOrg(ctx: Ctx, raw: unknown): Promise<{ org: OrgView }> {
  requirePermission(ctx, 'org:admin');
  const { id, ...input } = parseInput(updateOrgInput, raw);
  if (id !== undefined && id !== ctx.orgId) {
    throw ValidationError.of('id', 'is the organization being updated and cannot change');
  }
  return {
    org: await applyOrgUpdate(ctx.em, ctx.orgId, input, {
      actor: ctx.actor,
      nowMs: ctx.core.clock(),
    }),
  };
}

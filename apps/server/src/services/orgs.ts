import { Organization } from '@reins/db';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Orm } from '@reins/db';
import { NotFound } from '../errors.js';
import { newId } from '@reins/ledger';
import { audit } from './audit.js';
import { insertKey, type CreatedKey } from './keys.js';

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

/**
 * First start: an empty database gets an organization and an admin key. Returns the key when it
 * was created (to print once), null when organizations already exist.
 */
export async function bootstrap(
  orm: Orm,
  opts: { keyEnv: string; secret?: string | undefined; now: Date },
): Promise<{ orgId: string; key: CreatedKey } | null> {
  const em = orm.em.fork();
  // Serialize concurrent first starts (two processes on one fresh database).
  return em.transactional(async (tem) => {
    await tem
      .getConnection()
      .execute('select pg_advisory_xact_lock(7262537)', [], 'all', tem.getTransactionContext());
    if ((await tem.count(Organization, {})) > 0) return null;
    return createOrganization(
      tem,
      { name: 'Default organization' },
      { keyEnv: opts.keyEnv, secret: opts.secret, actor: 'system:bootstrap', now: opts.now },
    );
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

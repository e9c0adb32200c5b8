/**
 * Notification channels: CRUD, secrets shown once and masked after, type-specific validation,
 * rules that name channels, and deletion of channels still in use.
 */
import { describe, expect, it } from 'vitest';
import { TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../src/trpc/routers/_app.js';
import { assertChannelsExist, loadChannels } from '../src/services/channels.js';
import { ValidationError } from '../src/errors.js';
import { useTestServer } from './harness.js';
import { type ErrorBody, ISO, keyWith, trpcClient } from './helpers.js';

const t = useTestServer('channels');

interface ChannelView {
  id: string;
  name: string;
  type: 'webhook' | 'slack' | 'email';
  enabled: boolean;
  url?: string;
  urlMasked?: string;
  secret?: string;
  secretMasked?: string;
  addresses?: string[];
  createdAt: string;
  updatedAt: string;
}

const SLACK_URL = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXsecretToken9';

async function create(body: unknown, key?: string): Promise<ChannelView> {
  const res = await t().call<{ success: boolean; channel: ChannelView }>(
    'POST',
    '/api/notification-channels',
    body,
    { key },
  );
  expect(res.status).toBe(201);
  expect(res.body.success).toBe(true);
  return res.body.channel;
}

async function get(id: string, key?: string) {
  return t().call<{ success: boolean; channel: ChannelView }>(
    'GET',
    `/api/notification-channels/${id}`,
    undefined,
    { key },
  );
}

async function update(id: string, body: unknown, key?: string) {
  return t().call<{ success: boolean; channel: ChannelView } & ErrorBody>(
    'PUT',
    `/api/notification-channels/${id}`,
    body,
    { key },
  );
}

async function channelCount(): Promise<number> {
  const [row] = await t().sql<{ n: number }>('select count(*)::int as n from notification_channel');
  return row?.n ?? 0;
}

async function auditsOf(id: string) {
  return t().sql<{ event_type: string; entity_type: string; metadata: Record<string, unknown> }>(
    'select event_type, entity_type, metadata from audit_event where entity_id = ? order by occurred_at, id',
    [id],
  );
}

describe('POST /api/notification-channels', () => {
  it('creates a webhook channel and shows its generated signing secret once, masked after', async () => {
    const created = await create({
      name: 'Ops webhook',
      type: 'webhook',
      url: 'https://ops.example.com/reins',
    });
    const secret = created.secret ?? '';
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    expect(created).toEqual({
      id: expect.stringMatching(/^chan_[A-Za-z0-9]{16}$/) as unknown,
      name: 'Ops webhook',
      type: 'webhook',
      enabled: true,
      url: 'https://ops.example.com/reins',
      secret,
      secretMasked: `****${secret.slice(-4)}`,
      createdAt: expect.stringMatching(ISO) as unknown,
      updatedAt: created.createdAt,
    });

    const one = await get(created.id);
    expect(one.status).toBe(200);
    const { secret: _s, ...masked } = created;
    expect(one.body).toEqual({ success: true, channel: masked });
    expect(one.text).not.toContain(secret);
    const all = await t().call<{ channels: ChannelView[]; count: number }>(
      'GET',
      '/api/notification-channels',
    );
    expect(all.body.channels.find((c) => c.id === created.id)).toEqual(masked);
    expect(all.text).not.toContain(secret);

    // Stored in full: the worker signs deliveries with it.
    const [row] = await t().sql<{ config: { url: string; secret: string } }>(
      'select config from notification_channel where id = ?',
      [created.id],
    );
    expect(row?.config).toEqual({ url: 'https://ops.example.com/reins', secret });
  });

  it('takes a chosen webhook secret, shows it in the create response only', async () => {
    const secret = 'my-own-signing-secret-0123456789';
    const created = await create({
      name: 'Chosen',
      type: 'webhook',
      url: 'http://hooks.internal:8080/x?team=a',
      secret,
      enabled: false,
    });
    expect(created).toMatchObject({ secret, secretMasked: '****6789', enabled: false });
    const one = await get(created.id);
    expect(one.body.channel.secret).toBeUndefined();
    expect(one.body.channel.secretMasked).toBe('****6789');
  });

  it('masks a Slack webhook URL in every response and in the audit log', async () => {
    const created = await create({ name: 'Slack #spend', type: 'slack', url: SLACK_URL });
    expect(created).toEqual({
      id: expect.stringMatching(/^chan_/) as unknown,
      name: 'Slack #spend',
      type: 'slack',
      enabled: true,
      urlMasked: 'https://hooks.slack.com/****ken9',
      createdAt: expect.stringMatching(ISO) as unknown,
      updatedAt: expect.stringMatching(ISO) as unknown,
    });
    const one = await get(created.id);
    expect(one.body.channel.urlMasked).toBe('https://hooks.slack.com/****ken9');
    expect(one.text).not.toContain('secretToken');
    const audits = await auditsOf(created.id);
    expect(audits.map((a) => [a.event_type, a.entity_type])).toEqual([
      ['notification_channel.created', 'notification_channel'],
    ]);
    expect(JSON.stringify(audits)).not.toContain('secretToken');
  });

  it('creates an email channel with its addresses deduplicated and domains lowercased', async () => {
    const created = await create({
      name: 'Finance',
      type: 'email',
      addresses: ['Finance@Example.COM', 'finance@example.com', 'ops+alerts@corp.example.org'],
    });
    expect(created).toMatchObject({
      type: 'email',
      addresses: ['Finance@example.com', 'finance@example.com', 'ops+alerts@corp.example.org'],
    });
    const dup = await create({
      name: 'Dup',
      type: 'email',
      addresses: ['a@EXAMPLE.com', 'a@example.com'],
    });
    expect(dup.addresses).toEqual(['a@example.com']);
  });

  it('refuses bad or foreign fields with 422 naming the field, writing nothing', async () => {
    const before = await channelCount();
    const hook = { name: 'h', type: 'webhook', url: 'https://x.example.com/h' };
    const cases: [unknown, string][] = [
      [{ type: 'webhook', url: 'https://x.example.com' }, 'name'],
      [{ ...hook, name: '' }, 'name'],
      [{ ...hook, name: 'x'.repeat(201) }, 'name'],
      [{ ...hook, type: 'sms' }, 'type'],
      [{ name: 'h', type: 'webhook' }, 'url'],
      [{ ...hook, url: 'ftp://x.example.com/h' }, 'url'],
      [{ ...hook, url: 'not a url' }, 'url'],
      [{ ...hook, url: '/relative/path' }, 'url'],
      [{ ...hook, url: 'https://user:pass@x.example.com/h' }, 'url'],
      [{ ...hook, secret: 'too-short' }, 'secret'],
      [{ ...hook, secret: 'x'.repeat(257) }, 'secret'],
      [{ ...hook, addresses: ['a@example.com'] }, 'addresses'],
      [{ ...hook, enabled: 'yes' }, 'enabled'],
      [{ ...hook, extra: 1 }, 'extra'],
      [{ name: 's', type: 'slack' }, 'url'],
      [{ name: 's', type: 'slack', url: 'http://hooks.slack.com/services/x' }, 'url'],
      [{ name: 's', type: 'slack', url: SLACK_URL, secret: 'a'.repeat(20) }, 'secret'],
      [{ name: 'e', type: 'email' }, 'addresses'],
      [{ name: 'e', type: 'email', addresses: [] }, 'addresses'],
      [{ name: 'e', type: 'email', addresses: ['ok@example.com', 'nope'] }, 'addresses.1'],
      [{ name: 'e', type: 'email', addresses: ['a@b@example.com'] }, 'addresses.0'],
      [{ name: 'e', type: 'email', addresses: ['a@localhost'] }, 'addresses.0'],
      [{ name: 'e', type: 'email', addresses: ['a b@example.com'] }, 'addresses.0'],
      [
        {
          name: 'e',
          type: 'email',
          addresses: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`),
        },
        'addresses',
      ],
      [{ name: 'e', type: 'email', addresses: ['a@example.com'], url: hook.url }, 'url'],
      [[hook], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await t().call<ErrorBody>('POST', '/api/notification-channels', body);
      expect({ body, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        body,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
    expect(await channelCount()).toBe(before);
  });
});

describe('PUT /api/notification-channels/:id', () => {
  it('updates fields partially and audits the change without secrets', async () => {
    const created = await create({ name: 'Hook', type: 'webhook', url: 'https://a.example.com/h' });
    const res = await update(created.id, {
      name: 'Renamed',
      enabled: false,
      url: 'https://b.example.com/h',
    });
    expect(res.status).toBe(200);
    expect(res.body.channel).toMatchObject({
      id: created.id,
      name: 'Renamed',
      enabled: false,
      url: 'https://b.example.com/h',
      secretMasked: created.secretMasked,
    });
    expect(res.body.channel.secret).toBeUndefined();
    const audits = await auditsOf(created.id);
    expect(audits.map((a) => a.event_type)).toEqual([
      'notification_channel.created',
      'notification_channel.updated',
    ]);
    expect(audits[1]?.metadata).toMatchObject({ changed: ['name', 'enabled', 'url'] });
    expect(JSON.stringify(audits)).not.toContain(created.secret ?? '');
  });

  it('rotates a webhook secret on rotateSecret, showing the new one once', async () => {
    const created = await create({
      name: 'Rotate',
      type: 'webhook',
      url: 'https://a.example.com/r',
    });
    const res = await update(created.id, { rotateSecret: true });
    expect(res.status).toBe(200);
    const fresh = res.body.channel.secret ?? '';
    expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(created.secret);
    expect(res.body.channel.secretMasked).toBe(`****${fresh.slice(-4)}`);
    const [row] = await t().sql<{ config: { secret: string } }>(
      'select config from notification_channel where id = ?',
      [created.id],
    );
    expect(row?.config.secret).toBe(fresh);
    const after = await get(created.id);
    expect(after.body.channel.secret).toBeUndefined();
    expect(after.text).not.toContain(fresh);
  });

  it('refuses a type change, foreign fields and rotateSecret on a non-webhook with 422', async () => {
    const slack = await create({ name: 'S', type: 'slack', url: SLACK_URL });
    const email = await create({ name: 'E', type: 'email', addresses: ['a@example.com'] });
    const hook = await create({ name: 'W', type: 'webhook', url: 'https://a.example.com/w' });
    const cases: [string, unknown, string][] = [
      [slack.id, { type: 'webhook' }, 'type'],
      [slack.id, { rotateSecret: true }, 'rotateSecret'],
      [slack.id, { url: 'http://hooks.slack.com/x' }, 'url'],
      [email.id, { url: 'https://a.example.com' }, 'url'],
      [email.id, { addresses: [] }, 'addresses'],
      [hook.id, { addresses: ['a@example.com'] }, 'addresses'],
      [hook.id, { rotateSecret: true, secret: 'x'.repeat(20) }, 'rotateSecret'],
      [hook.id, { name: '' }, 'name'],
      [hook.id, { bogus: true }, 'bogus'],
    ];
    for (const [id, body, field] of cases) {
      const res = await update(id, body);
      expect({ body, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        body,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
    expect((await get(slack.id)).body.channel).toEqual((({ secret: _s, ...c }) => c)(slack));
    const same = await update(slack.id, { type: 'slack', name: 'S2' });
    expect([same.status, same.body.channel.name]).toEqual([200, 'S2']);
  });
});

describe('DELETE /api/notification-channels/:id', () => {
  it('deletes a channel, then answers 404 for it', async () => {
    const created = await create({ name: 'Gone', type: 'email', addresses: ['a@example.com'] });
    const res = await t().call('DELETE', `/api/notification-channels/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ success: true, id: created.id, deleted: true });
    expect((await get(created.id)).status).toBe(404);
    const again = await t().call<ErrorBody>('DELETE', `/api/notification-channels/${created.id}`);
    expect([again.status, again.body.code]).toEqual([404, 'NOT_FOUND']);
    expect((await auditsOf(created.id)).map((a) => a.event_type)).toEqual([
      'notification_channel.created',
      'notification_channel.deleted',
    ]);
  });

  it('marks the channel’s pending deliveries failed', async () => {
    const { orgId, key } = await t().newOrg();
    const created = await create({ name: 'Out', type: 'email', addresses: ['a@example.com'] }, key);
    await t().sql(
      `insert into notification_outbox (id, org_id, alert_id, channel_id, status, payload)
       values ('out_pending1', ?, null, ?, 'pending', '{}'), ('out_done1', ?, null, ?, 'delivered', '{}')`,
      [orgId, created.id, orgId, created.id],
    );
    const res = await t().call('DELETE', `/api/notification-channels/${created.id}`, undefined, {
      key,
    });
    expect(res.status).toBe(200);
    const rows = await t().sql<{ id: string; status: string; last_error: string | null }>(
      'select id, status, last_error from notification_outbox where channel_id = ? order by id',
      [created.id],
    );
    expect(rows).toEqual([
      { id: 'out_done1', status: 'delivered', last_error: null },
      { id: 'out_pending1', status: 'failed', last_error: 'channel deleted' },
    ]);
  });
});

describe('rules that name channels', () => {
  it('accepts the organization’s own channels in either dialect', async () => {
    const a = await create({ name: 'A', type: 'email', addresses: ['a@example.com'] });
    const b = await create({ name: 'B', type: 'slack', url: SLACK_URL });
    const docs = await t().call<{ rule: { actionConfig: { channels?: string[] } } }>(
      'POST',
      '/api/policy-rules',
      {
        name: 'Notify on big spend',
        conditions: { amountCents: { min: 10_000 } },
        action: 'warn',
        actionConfig: { message: 'Big spend', channels: [a.id, b.id] },
      },
    );
    expect(docs.status).toBe(201);
    expect(docs.body.rule.actionConfig.channels).toEqual([a.id, b.id]);
    const typed = await t().call<{ action_config: { channels?: string[] } }>(
      'POST',
      '/api/v1/rules',
      {
        name: 'Typed notify',
        type: 'budget',
        condition: { window: 'monthly', metric: 'cost_usd', threshold: 500 },
        action: 'notify',
        action_config: { channels: [b.id] },
      },
    );
    expect(typed.status).toBe(201);
    expect(typed.body.action_config.channels).toEqual([b.id]);
  });

  it('queues a notify alert for each enabled channel the rule names', async () => {
    const { orgId, key } = await t().newOrg();
    const on = await create({ name: 'On', type: 'webhook', url: 'https://n.example.com/h' }, key);
    const off = await create(
      { name: 'Off', type: 'email', addresses: ['a@example.com'], enabled: false },
      key,
    );
    const rule = await t().call<{ id: string }>(
      'POST',
      '/api/policy-rules',
      {
        name: 'Notify on any spend',
        conditions: { amountCents: { min: 1 } },
        action: 'notify',
        actionConfig: { message: 'Spend seen', channels: [on.id, off.id] },
      },
      { key },
    );
    expect(rule.status).toBe(201);
    const tx = await t().call<{ action: string }>(
      'POST',
      '/api/v1/transactions',
      { amount: 5, vendor: 'openai' },
      { key },
    );
    expect(tx.body.action).toBe('notify');
    const rows = await t().sql<{ channel_id: string; status: string }>(
      'select channel_id, status from notification_outbox where org_id = ?',
      [orgId],
    );
    expect(rows).toEqual([{ channel_id: on.id, status: 'pending' }]);
  });

  it('refuses unknown and other organizations’ channel ids with 422 naming the element', async () => {
    const mine = await create({ name: 'Mine', type: 'email', addresses: ['a@example.com'] });
    const other = await t().newOrg();
    const theirs = await create(
      { name: 'Theirs', type: 'email', addresses: ['b@example.com'] },
      other.key,
    );
    const [{ n: rulesBefore } = { n: 0 }] = await t().sql<{ n: number }>(
      'select count(*)::int as n from policy_rule',
    );
    const docsRule = (channels: string[]) => ({
      name: 'r',
      action: 'warn',
      actionConfig: { channels },
    });
    const cases: [string, unknown, string][] = [
      ['/api/policy-rules', docsRule(['chan_doesnotexist00']), 'actionConfig.channels.0'],
      ['/api/policy-rules', docsRule([mine.id, theirs.id]), 'actionConfig.channels.1'],
      [
        '/api/v1/rules',
        {
          name: 'r',
          type: 'budget',
          condition: { window: 'daily', metric: 'cost_usd', threshold: 5 },
          action: 'notify',
          action_config: { channels: [mine.id, 'chan_nope'] },
        },
        'action_config.channels.1',
      ],
    ];
    for (const [path, body, field] of cases) {
      const res = await t().call<ErrorBody>('POST', path, body);
      expect({ path, status: res.status, code: res.body.code, field: res.body.field }).toEqual({
        path,
        status: 422,
        code: 'VALIDATION_ERROR',
        field,
      });
    }
    const [{ n: rulesAfter } = { n: 0 }] = await t().sql<{ n: number }>(
      'select count(*)::int as n from policy_rule',
    );
    expect(rulesAfter).toBe(rulesBefore);

    const rule = await t().call<{ id: string }>('POST', '/api/policy-rules', docsRule([mine.id]));
    expect(rule.status).toBe(201);
    const upd = await t().call<ErrorBody>('PUT', `/api/policy-rules/${rule.body.id}`, {
      actionConfig: { channels: [mine.id, theirs.id] },
    });
    expect([upd.status, upd.body.field]).toEqual([422, 'actionConfig.channels.1']);
    const typedUpd = await t().call<ErrorBody>('PUT', `/api/v1/rules/${rule.body.id}`, {
      action_config: { channels: ['chan_nope'] },
    });
    expect([typedUpd.status, typedUpd.body.field]).toEqual([422, 'action_config.channels.0']);
    const kept = await t().call<{ rule: { actionConfig: { channels?: string[] } } }>(
      'GET',
      `/api/policy-rules/${rule.body.id}`,
    );
    expect(kept.body.rule.actionConfig.channels).toEqual([mine.id]);
  });

  it('refuses to delete a channel a rule names, even a disabled rule, until it is detached', async () => {
    const ch = await create({ name: 'In use', type: 'email', addresses: ['a@example.com'] });
    const rule = await t().call<{ id: string }>('POST', '/api/policy-rules', {
      name: 'Uses the channel',
      enabled: false,
      action: 'warn',
      actionConfig: { channels: [ch.id] },
    });
    expect(rule.status).toBe(201);

    const refused = await t().call<ErrorBody>('DELETE', `/api/notification-channels/${ch.id}`);
    expect([refused.status, refused.body.code]).toEqual([409, 'CHANNEL_IN_USE']);
    expect(refused.body.message).toContain(rule.body.id);
    expect(refused.body.message).toContain('Uses the channel');
    expect((await get(ch.id)).status).toBe(200);

    const detached = await t().call('PUT', `/api/policy-rules/${rule.body.id}`, {
      actionConfig: { channels: [] },
    });
    expect(detached.status).toBe(200);
    const ok = await t().call('DELETE', `/api/notification-channels/${ch.id}`);
    expect(ok.status).toBe(200);
    expect((await get(ch.id)).status).toBe(404);
  });
});

describe('a rule write racing a channel delete', () => {
  it('never leaves a rule naming a deleted channel', async () => {
    for (let i = 0; i < 8; i++) {
      const ch = await create({ name: `Race ${i}`, type: 'email', addresses: ['a@example.com'] });
      const [ruleRes, delRes] = await Promise.all([
        t().call<{ id?: string }>('POST', '/api/policy-rules', {
          name: `Race rule ${i}`,
          action: 'warn',
          actionConfig: { channels: [ch.id] },
        }),
        t().call('DELETE', `/api/notification-channels/${ch.id}`),
      ]);
      // Exactly one wins: the rule (and the delete is refused) or the delete (and the rule is).
      expect([
        [201, 409],
        [422, 200],
      ]).toContainEqual([ruleRes.status, delRes.status]);
      const [row] = await t().sql<{ n: number }>(
        'select count(*)::int as n from notification_channel where id = ?',
        [ch.id],
      );
      expect(row?.n).toBe(ruleRes.status === 201 ? 1 : 0);
    }
  });
});

describe('channel access', () => {
  it('answers 404 for another organization’s channel on every route, changing nothing', async () => {
    const other = await t().newOrg();
    const theirs = await create(
      { name: 'Theirs', type: 'webhook', url: 'https://t.example.com/h' },
      other.key,
    );
    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { name: 'hijacked' }],
      ['DELETE', undefined],
    ] as const) {
      const res = await t().call<ErrorBody>(
        method,
        `/api/notification-channels/${theirs.id}`,
        body,
      );
      expect([method, res.status, res.body.code]).toEqual([method, 404, 'NOT_FOUND']);
    }
    const list = await t().call<{ channels: ChannelView[] }>('GET', '/api/notification-channels');
    expect(list.body.channels.map((c) => c.id)).not.toContain(theirs.id);
    const still = await get(theirs.id, other.key);
    expect(still.body.channel.name).toBe('Theirs');
  });

  it('needs alerts:read to read channels and alerts:write to change them (403 FORBIDDEN)', async () => {
    const { key: admin } = await t().newOrg();
    const ch = await create({ name: 'C', type: 'email', addresses: ['a@example.com'] }, admin);
    const reader = await keyWith(t(), admin, ['alerts:read']);
    const outsider = await keyWith(t(), admin, ['policies:write']);

    const listed = await t().call<{ count: number }>(
      'GET',
      '/api/notification-channels',
      undefined,
      {
        key: reader,
      },
    );
    expect([listed.status, listed.body.count]).toEqual([200, 1]);
    const cases = [
      ['GET', '/api/notification-channels', outsider, 'alerts:read', undefined],
      ['GET', `/api/notification-channels/${ch.id}`, outsider, 'alerts:read', undefined],
      [
        'POST',
        '/api/notification-channels',
        reader,
        'alerts:write',
        { name: 'n', type: 'email', addresses: ['a@example.com'] },
      ],
      ['PUT', `/api/notification-channels/${ch.id}`, reader, 'alerts:write', { name: 'x' }],
      ['DELETE', `/api/notification-channels/${ch.id}`, reader, 'alerts:write', undefined],
    ] as const;
    for (const [method, path, key, perm, body] of cases) {
      const res = await t().call<ErrorBody>(method, path, body, { key });
      expect([method, path, res.status, res.body.code, res.body.requiredPermission]).toEqual([
        method,
        path,
        403,
        'FORBIDDEN',
        perm,
      ]);
    }
    expect((await get(ch.id, admin)).body.channel.name).toBe('C');
  });
});

describe('channels for delivery', () => {
  it('loadChannels returns the enabled channels with their full config; assertChannelsExist names the bad id', async () => {
    const { orgId, key } = await t().newOrg();
    const hook = await create(
      { name: 'Hook', type: 'webhook', url: 'https://d.example.com/h' },
      key,
    );
    const slack = await create({ name: 'Slack', type: 'slack', url: SLACK_URL }, key);
    await create({ name: 'Off', type: 'email', addresses: ['a@example.com'], enabled: false }, key);
    const em = t().server.core.orm.em.fork();
    expect(await loadChannels(em, orgId)).toEqual([
      {
        id: hook.id,
        name: 'Hook',
        type: 'webhook',
        config: { url: 'https://d.example.com/h', secret: hook.secret },
      },
      { id: slack.id, name: 'Slack', type: 'slack', config: { url: SLACK_URL } },
    ]);
    await expect(assertChannelsExist(em, orgId, [hook.id, slack.id], 'x')).resolves.toBeUndefined();
    const err = await assertChannelsExist(em, orgId, [hook.id, 'chan_missing'], 'a.channels').catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).field).toBe('a.channels.1');
  });
});

describe('channels over tRPC', () => {
  it('creates, updates, lists, gets and deletes through the same services', async () => {
    const { key } = await t().newOrg();
    const client = trpcClient(t(), key);
    const { channel } = await client.notificationChannels.create.mutate({
      name: 'tRPC hook',
      type: 'webhook',
      url: 'https://trpc.example.com/h',
    });
    expect(channel.type).toBe('webhook');
    const rotated = await client.notificationChannels.update.mutate({
      id: channel.id,
      patch: { rotateSecret: true },
    });
    expect(rotated.channel).toMatchObject({
      id: channel.id,
      secret: expect.any(String) as unknown,
    });
    const listed = await client.notificationChannels.list.query();
    expect(listed.count).toBe(1);
    const got = await client.notificationChannels.get.query({ id: channel.id });
    expect(got.channel).not.toHaveProperty('secret');
    expect(await client.notificationChannels.delete.mutate({ id: channel.id })).toEqual({
      id: channel.id,
      deleted: true,
    });
    const bad = await client.notificationChannels.create
      .mutate({ name: 'x', type: 'slack', url: 'http://insecure.example.com' })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(TRPCClientError);
    expect((bad as TRPCClientError<AppRouter>).data).toMatchObject({
      reins: { code: 'VALIDATION_ERROR', field: 'url' },
    });
  });
});

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalEvent, chainHash, GENESIS, type ChainEvent } from './auditChain.js';
import { canonicalJson } from './canonicalJson.js';

const event: ChainEvent = {
  seq: 1,
  id: 'evt_1',
  orgId: 'org_1',
  eventType: 'transaction.blocked',
  occurredAt: '2026-05-05T08:14:22.123000Z',
  actor: 'agent:support-bot',
  entityType: 'transaction',
  entityId: 'txn_abc123',
  metadata: { vendor: 'openai', action: 'block', nested: { z: 1, a: [3, { y: null, b: 'é' }] } },
};

describe('chainHash', () => {
  it('is sha256 of the previous hash followed by the canonical event', () => {
    const canonical = canonicalEvent(event);
    expect(canonical).toBe(
      '{"actor":"agent:support-bot","entityId":"txn_abc123","entityType":"transaction",' +
        '"eventType":"transaction.blocked","id":"evt_1","metadata":{"action":"block",' +
        '"nested":{"a":[3,{"b":"é","y":null}],"z":1},"vendor":"openai"},' +
        '"occurredAt":"2026-05-05T08:14:22.123000Z","orgId":"org_1","seq":1}',
    );
    const expected = createHash('sha256')
      .update(GENESIS + canonical, 'utf8')
      .digest('hex');
    expect(chainHash(GENESIS, event)).toBe(expected);
  });

  it('changes with any field, the seq and the previous hash', () => {
    const base = chainHash(GENESIS, event);
    expect(chainHash('1'.repeat(64), event)).not.toBe(base);
    expect(chainHash(GENESIS, { ...event, seq: 2 })).not.toBe(base);
    expect(chainHash(GENESIS, { ...event, occurredAt: '2026-05-05T08:14:22.123001Z' })).not.toBe(
      base,
    );
    expect(chainHash(GENESIS, { ...event, metadata: { vendor: 'openai' } })).not.toBe(base);
  });
});

describe('canonicalEvent', () => {
  it('is canonicalJson of the event, metadata and all', () => {
    const odd: ChainEvent = {
      ...event,
      actor: 'say "hi"\n',
      entityId: 'naïve 日本語 🚀',
      metadata: { z: [1, { b: null, a: 'x' }], a: 1.5, m: { y: true } },
    };
    for (const e of [event, odd, { ...event, metadata: {} }]) {
      expect(canonicalEvent(e)).toBe(canonicalJson({ ...e }));
    }
  });
});

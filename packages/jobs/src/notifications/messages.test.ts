import { describe, expect, it } from 'vitest';
import { classifyHttp } from './deliver.js';
import { emailMessage, slackMessage, targetOf, webhookBody, type OutboxItem } from './messages.js';

const item: OutboxItem = {
  id: 'ntf_abc',
  orgId: 'org_1',
  alertId: 'alert_1',
  channelId: 'chan_1',
  createdAt: new Date('2026-05-05T08:00:00.000Z'),
  payload: {
    alertId: 'alert_1',
    ruleId: 'rule_1',
    ruleName: 'Daily budget',
    action: 'notify',
    message: 'Daily budget 80% <used>',
    transactionId: 'txn_1',
    agentId: 'support-bot',
    timeWindow: 'daily',
    limit: 10_000,
    current: 8_150,
    unit: 'cents',
    createdAt: '2026-05-05T08:00:00.000Z',
  },
};

describe('notification messages', () => {
  it('puts the delivery id, the event type and the alert in the webhook body', () => {
    expect(JSON.parse(webhookBody(item))).toEqual({
      id: 'ntf_abc',
      type: 'policy.alert',
      createdAt: '2026-05-05T08:00:00.000Z',
      orgId: 'org_1',
      alert: item.payload,
    });
  });

  it('gives Slack a text fallback and Block Kit blocks, markup escaped', () => {
    const m = slackMessage(item);
    expect(m.text).toBe('Reins alert — Daily budget: Daily budget 80% <used>');
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(m.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: 'Daily budget 80% &lt;used&gt;' },
    });
    expect(JSON.stringify(m.blocks[2])).toContain('$81.50');
    expect(JSON.stringify(m.blocks[3])).toContain('ntf_abc');
  });

  it('writes an email with the rule in the subject and the figures in the body', () => {
    const m = emailMessage(item);
    expect(m.subject).toBe('[Reins] Daily budget: Daily budget 80% <used>');
    expect(m.text).toContain('Current: $81.50');
    expect(m.text).toContain('Limit: $100.00');
    expect(m.text).toContain('Delivery id: ntf_abc');
  });

  it('reads channel configs and says what is missing', () => {
    expect(targetOf('webhook', { url: 'http://x', secret: 's' })).toEqual({
      type: 'webhook',
      url: 'http://x',
      secret: 's',
    });
    expect(targetOf('email', { addresses: [] })).toEqual({
      error: 'email channel without addresses',
    });
    expect(targetOf('pager', {})).toEqual({ error: 'unknown channel type pager' });
  });
});

describe('classifyHttp', () => {
  const at = (status: number, body = '') => classifyHttp({ status, body });

  it('counts any 2xx as delivered', () => {
    expect(at(200)).toEqual({ ok: true });
    expect(at(204)).toEqual({ ok: true });
  });

  it('retries server errors, timeouts and rate limits', () => {
    expect(at(500, 'boom\n')).toEqual({ ok: false, retry: true, error: 'HTTP 500: boom' });
    expect([408, 425, 429, 502, 503].map((s) => at(s))).toEqual(
      [408, 425, 429, 502, 503].map((s) => ({
        ok: false,
        retry: true,
        error: `HTTP ${String(s)}`,
      })),
    );
  });

  it('passes on a Retry-After in seconds with a 429 or 503', () => {
    expect(classifyHttp({ status: 429, body: '', retryAfter: '30' })).toEqual({
      ok: false,
      retry: true,
      error: 'HTTP 429',
      retryAfterMs: 30_000,
    });
    expect(
      classifyHttp({ status: 503, body: '', retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT' }),
    ).toEqual({
      ok: false,
      retry: true,
      error: 'HTTP 503',
    });
  });

  it('dead-letters other 4xx and does not follow redirects', () => {
    expect(at(404, 'no_service')).toEqual({
      ok: false,
      retry: false,
      error: 'HTTP 404: no_service',
    });
    expect(classifyHttp({ status: 302, body: '', location: 'http://elsewhere/' })).toEqual({
      ok: false,
      retry: false,
      error:
        'HTTP 302: redirect to http://elsewhere/ not followed (deliveries go only to the configured URL)',
    });
  });
});

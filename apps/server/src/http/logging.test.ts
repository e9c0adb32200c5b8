import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { loggerOptions, requestId } from './logging.js';

const KEY = 'rk_live_SecretKeyValue0123456789';
const COOKIE = 'reins_session=sess_0123456789abcdef';

/** A Fastify logger built with the server's options, writing JSON lines into `lines`. */
function capture(): { log: FastifyBaseLogger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) {
        if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      }
      done();
    },
  });
  const app = Fastify({ logger: { ...loggerOptions('info'), stream } });
  return { log: app.log, lines };
}

describe('log redaction', () => {
  it('censors credentials in logged requests, headers and secret-named fields', () => {
    const { log, lines } = capture();
    log.info(
      {
        req: { method: 'GET', headers: { authorization: `Bearer ${KEY}`, cookie: COOKIE } },
        res: { headers: { 'set-cookie': COOKIE } },
      },
      'a request',
    );
    log.info({ headers: { authorization: `Bearer ${KEY}`, 'x-api-key': KEY } }, 'headers');
    log.info({ upstream: { headers: { cookie: COOKIE, accept: 'json' } } }, 'nested');
    log.info({ channel: { secret: 'whsec_0123', url: 'https://hooks' } }, 'a channel');
    log.info({ user: { password: 'hunter2' }, token: 'tok_0123' }, 'a user');
    const text = JSON.stringify(lines);
    for (const secret of [KEY, 'sess_0123456789abcdef', 'whsec_0123', 'hunter2', 'tok_0123']) {
      expect(text).not.toContain(secret);
    }
    // Fastify's own serializer keeps a request's method and URL only; other objects with
    // headers are censored by path.
    expect(lines[0]?.req).toEqual({ method: 'GET' });
    expect(lines[1]?.headers).toEqual({ authorization: '[redacted]', 'x-api-key': '[redacted]' });
    // What is not a secret stays readable.
    expect(lines[2]?.upstream).toEqual({ headers: { cookie: '[redacted]', accept: 'json' } });
    expect(lines[3]?.channel).toEqual({ secret: '[redacted]', url: 'https://hooks' });
    expect(lines[4]).toMatchObject({ user: { password: '[redacted]' }, token: '[redacted]' });
  });
});

describe('request ids', () => {
  it('keeps a sane client id and makes a UUID for anything else', () => {
    expect(requestId('abc-123:4.5_6')).toBe('abc-123:4.5_6');
    expect(requestId('x'.repeat(128))).toBe('x'.repeat(128));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const bad of [undefined, '', 'x'.repeat(129), 'a b', 'a\nb', '{"json":1}', ['a', 'b']]) {
      expect(requestId(bad)).toMatch(uuid);
    }
    expect(requestId(undefined)).not.toBe(requestId(undefined));
  });
});

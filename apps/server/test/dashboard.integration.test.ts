import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestServer } from './harness.js';

// A stand-in for apps/web/dist: the server serves whatever build REINS_WEB_DIR names.
const webDir = mkdtempSync(join(tmpdir(), 'reins-web-'));
const INDEX = '<!doctype html><title>Reins</title><div id="root"></div>';
mkdirSync(join(webDir, 'assets'));
writeFileSync(join(webDir, 'index.html'), INDEX);
writeFileSync(join(webDir, 'assets', 'index-AbC123.js'), 'console.log("reins")');
writeFileSync(join(webDir, 'assets', 'index-AbC123.css'), 'body{}');
writeFileSync(join(webDir, '.env'), 'SECRET=1');
afterAll(() => {
  rmSync(webDir, { recursive: true, force: true });
});

const t = useTestServer('dashboard', { REINS_WEB_DIR: webDir });
const html = { accept: 'text/html,application/xhtml+xml' };

describe('the dashboard at /', () => {
  it('serves index.html at / without a key, never cached, with a CSP that lets it run', async () => {
    const res = await t().call('GET', '/', undefined, { key: null, headers: html });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toBe(INDEX);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('serves hashed assets with their content type and a year of caching', async () => {
    const js = await t().call('GET', '/assets/index-AbC123.js', undefined, { key: null });
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.text).toBe('console.log("reins")');
    const css = await t().call('GET', '/assets/index-AbC123.css', undefined, { key: null });
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers client-side routes that ask for a page with index.html', async () => {
    for (const path of ['/transactions', '/sign-in/link', '/review?x=1']) {
      const res = await t().call('GET', path, undefined, { key: null, headers: html });
      expect(res.status, path).toBe(200);
      expect(res.text, path).toBe(INDEX);
    }
  });

  it('keeps API 404s as JSON, even for a browser', async () => {
    for (const path of ['/api/nope', '/trpc', '/health/x']) {
      const res = await t().call('GET', path, undefined, { key: null, headers: html });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toContain('application/json');
      expect(res.body, path).toMatchObject({ success: false, code: 'NOT_FOUND' });
    }
    const res = await t().call('GET', '/api/nope');
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
  });

  it('does not answer non-page requests, missing assets, dotfiles or traversal with the app', async () => {
    const plain = await t().call('GET', '/transactions', undefined, { key: null });
    expect(plain.status).toBe(404);
    const missing = await t().call('GET', '/assets/gone.js', undefined, {
      key: null,
      headers: html,
    });
    expect(missing.status).toBe(404);
    const dot = await t().call('GET', '/.env', undefined, { key: null });
    expect(dot.status).toBe(404);
    const up = await t().call('GET', '/%2e%2e/%2e%2e/package.json', undefined, { key: null });
    expect(up.status).toBe(404);
    expect(up.text).not.toContain('@reins');
    const post = await t().call('POST', '/transactions', {}, { key: null, headers: html });
    expect(post.status).toBe(404);
  });

  it('explains how to build the dashboard when there is no build', async () => {
    rmSync(join(webDir, 'index.html'));
    const res = await t().call('GET', '/', undefined, { key: null, headers: html });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.text).toContain('pnpm --filter @reins/web build');
  });
});

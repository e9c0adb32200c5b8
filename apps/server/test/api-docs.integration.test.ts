import { describe, expect, it } from 'vitest';
import { useTestServer } from './harness.js';

const t = useTestServer('api_docs');

describe('GET /api/docs', () => {
  it('serves the API reference page without a key, from this origin only', async () => {
    const res = await t().call('GET', '/api/docs', undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.text).toContain('data-url="/api/openapi.json"');
    expect(res.text).toContain('<script src="/api/docs/scalar.js"></script>');
    // No CDN, no web font, no external link: every URL in the page is same-origin.
    expect(res.text).not.toMatch(/https?:\/\//);
    expect(res.text).not.toMatch(/(src|href)="\/\//);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
  });

  it('serves the renderer the page references: JavaScript, cached by ETag', async () => {
    const page = await t().call('GET', '/api/docs', undefined, { key: null });
    const src = /<script src="([^"]+)"><\/script>/.exec(page.text)?.[1];
    expect(src).toBe('/api/docs/scalar.js');
    const res = await t().call('GET', src ?? '', undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(res.text.length).toBeGreaterThan(1_000_000);
    expect(res.text).toContain('@scalar/api-reference');
    const etag = res.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const again = await t().call('GET', src ?? '', undefined, {
      key: null,
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('lists the page in the OpenAPI document as public', async () => {
    const res = await t().call<{ paths: Record<string, { get?: { security?: unknown[] } }> }>(
      'GET',
      '/api/openapi.json',
      undefined,
      { key: null },
    );
    expect(res.body.paths['/api/docs']?.get?.security).toEqual([]);
  });
});

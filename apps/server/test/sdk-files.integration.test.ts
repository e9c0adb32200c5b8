import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { useTestServer } from './harness.js';

// A stand-in for packages/sdk/dist: the server serves the files REINS_SDK_DIR names. Only reins.js
// is "built" here; reins.mjs is missing.
const sdkDir = mkdtempSync(join(tmpdir(), 'reins-sdk-files-'));
const CJS = '"use strict";\nmodule.exports = { reins() {} };\n';
writeFileSync(join(sdkDir, 'reins.js'), CJS);
writeFileSync(join(sdkDir, 'index.js'), 'export {};\n');
afterAll(() => {
  rmSync(sdkDir, { recursive: true, force: true });
});

const t = useTestServer('sdk_files', { REINS_SDK_DIR: sdkDir });

describe('the one-file SDK at /sdk/', () => {
  it('serves reins.js without a key, as JavaScript, cached for an hour and revalidated', async () => {
    const res = await t().call('GET', '/sdk/reins.js', undefined, { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600, must-revalidate');
    expect(res.text).toBe(CJS);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await t().call('GET', '/sdk/reins.js', undefined, {
      key: null,
      headers: { 'if-none-match': etag ?? '' },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it('answers 404 with how to build it when the file is not built', async () => {
    const res = await t().call('GET', '/sdk/reins.mjs', undefined, { key: null });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(res.body).toMatchObject({ success: false, code: 'NOT_FOUND' });
    expect((res.body as { message: string }).message).toBe(
      `The standalone SDK (reins.mjs) is not built: there is no ${join(sdkDir, 'reins.mjs')}. ` +
        'Build it with `pnpm --filter reins-sdk build` (`pnpm start` does this for you).',
    );
  });

  it('serves nothing else from the SDK build', async () => {
    for (const path of ['/sdk/index.js', '/sdk/..%2Fpackage.json', '/sdk/']) {
      const res = await t().call('GET', path, undefined, { key: null });
      expect(res.status, path).toBe(404);
      expect(res.body, path).toMatchObject({ success: false, code: 'NOT_FOUND' });
    }
  });
});

/**
 * The API reference as a web page, served by Reins itself: `GET /api/docs` is a small HTML page
 * that loads Scalar's standalone renderer (`@scalar/api-reference`'s browser bundle, served from
 * node_modules at `/api/docs/scalar.js`) and points it at `/api/openapi.json`. Everything is
 * same-origin — no CDN, no web fonts — and the page's Content-Security-Policy allows nothing else.
 * Public, like the document it renders.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

export const API_DOCS_PATH = '/api/docs';
export const API_DOCS_SCRIPT_PATH = '/api/docs/scalar.js';

/** The renderer's one-file browser build (its package exports no such subpath: found beside the entry). */
function scalarBundlePath(): string {
  const entry = createRequire(import.meta.url).resolve('@scalar/api-reference');
  return join(dirname(entry), 'browser', 'standalone.js');
}

const configuration = JSON.stringify({
  url: '/api/openapi.json',
  // No fonts from fonts.scalar.com, no proxy, no "open in client" links to scalar.com.
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
  agent: { disabled: true },
});

const escapeAttribute = (s: string) => s.replaceAll('&', '&amp;').replaceAll('"', '&quot;');

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Reins API reference</title>
  </head>
  <body>
    <script id="api-reference" data-url="/api/openapi.json" data-configuration="${escapeAttribute(configuration)}"></script>
    <script src="${API_DOCS_SCRIPT_PATH}"></script>
  </body>
</html>
`;

/**
 * Only this origin: the renderer's script, its inline styles (Vue sets style attributes), and
 * the document it fetches.
 */
const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CACHE = 'public, max-age=3600, must-revalidate';

export function registerApiDocs(app: FastifyInstance): void {
  let bundle: Promise<{ body: Buffer; etag: string }> | undefined;
  const loadBundle = () =>
    (bundle ??= readFile(scalarBundlePath()).then((body) => ({
      body,
      etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`,
    })));

  app.get(API_DOCS_PATH, (_req, reply) =>
    reply.header('content-security-policy', PAGE_CSP).type('text/html; charset=utf-8').send(PAGE),
  );
  app.get(API_DOCS_SCRIPT_PATH, async (req, reply) => {
    const { body, etag } = await loadBundle();
    void reply.header('cache-control', CACHE).header('etag', etag);
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.type('text/javascript; charset=utf-8').send(body);
  });
}

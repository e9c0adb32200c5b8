/**
 * The dashboard (apps/web's build) at `/`: its files with their content types, hashed assets
 * under /assets cached for a year, index.html never cached, and index.html for any other GET of a
 * page (a path outside /api, /trpc and /health whose request accepts text/html), so that
 * client-side routes survive a reload. API answers, including their 404s, are untouched.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The API's headers forbid everything; a page needs its own scripts, styles and calls home. */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; " +
    "form-action 'self'; frame-ancestors 'none'",
} as const;

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** Paths that belong to the API: never answered with the dashboard. */
export function isApiPath(path: string): boolean {
  return /^\/(api|trpc|health)(\/|$)/.test(path);
}

function notBuilt(webDir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reins: dashboard not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The Reins API is running; the dashboard is not built</h1>
<p>No dashboard was found in <code>${webDir.replace(/[<>&]/g, '')}</code>. Build it with</p>
<pre>pnpm --filter @reins/web build</pre>
<p>and reload this page (<code>pnpm start</code> does this for you). The API itself works:
see <a href="/api/openapi.json">/api/openapi.json</a>.</p>
</body></html>
`;
}

export interface Dashboard {
  /** Answers a request no route matched if it asks for a page; false when it is not one. */
  fallback(req: FastifyRequest, reply: FastifyReply): Promise<boolean>;
}

export function registerDashboard(app: FastifyInstance, webDir: string): Dashboard {
  const root = resolve(webDir);
  const index = join(root, 'index.html');

  const sendIndex = async (reply: FastifyReply) => {
    let html: Buffer;
    try {
      html = await readFile(index);
    } catch {
      return reply
        .status(503)
        .headers(PAGE_HEADERS)
        .header('content-security-policy', "default-src 'none'; frame-ancestors 'none'")
        .type('text/html; charset=utf-8')
        .send(notBuilt(root));
    }
    return reply
      .status(200)
      .headers(PAGE_HEADERS)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(html);
  };

  /** A file under the build, or null: no traversal, no directories, no dotfiles. */
  const fileOf = async (urlPath: string): Promise<{ path: string; size: number } | null> => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0') || decoded.split('/').some((s) => s.startsWith('.'))) return null;
    const path = resolve(root, `.${decoded}`);
    if (!path.startsWith(root + sep)) return null;
    try {
      const st = await stat(path);
      return st.isFile() ? { path, size: st.size } : null;
    } catch {
      return null;
    }
  };

  const sendFile = async (req: FastifyRequest, reply: FastifyReply): Promise<boolean> => {
    const urlPath = req.url.split('?')[0] ?? '/';
    const file = await fileOf(urlPath);
    if (!file || file.path === index) return false;
    const type = TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream';
    void reply
      .status(200)
      .headers(PAGE_HEADERS)
      .header('cache-control', urlPath.startsWith('/assets/') ? IMMUTABLE : 'public, max-age=3600')
      .header('content-length', file.size)
      .type(type);
    await reply.send(req.method === 'HEAD' ? '' : createReadStream(file.path));
    return true;
  };

  app.get('/', (_req, reply) => sendIndex(reply));
  app.get('/index.html', (_req, reply) => sendIndex(reply));

  return {
    async fallback(req, reply) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const path = req.url.split('?')[0] ?? '/';
      if (isApiPath(path)) return false;
      if (await sendFile(req, reply)) return true;
      if (path.startsWith('/assets/')) return false;
      if (!(req.headers.accept ?? '').includes('text/html')) return false;
      await sendIndex(reply);
      return true;
    },
  };
}

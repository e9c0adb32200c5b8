/**
 * The one-file SDK at `/sdk/reins.js` (CommonJS) and `/sdk/reins.mjs` (ESM): reins-sdk's root
 * entry bundled into a single file with no dependency (packages/sdk's build writes them to its
 * dist/), so that a user copies the SDK from their own Reins. Public, like the docs: the file
 * holds no secret. Cached for an hour and revalidated by ETag, since the name carries no hash.
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NotFound, toErrorResponse } from '../errors.js';

export const SDK_FILES = ['reins.js', 'reins.mjs'] as const;
const CACHE = 'public, max-age=3600, must-revalidate';

export function registerSdkFiles(app: FastifyInstance, sdkDir: string): void {
  const root = resolve(sdkDir);
  /** The docs' 404 body, with a message that says what to do. */
  const notFound = (file: string, message: string) => {
    const res = toErrorResponse(new NotFound('SDK file', file));
    return { status: res.status, body: { ...res.body, message } };
  };
  app.get<{ Params: { file: string } }>('/sdk/:file', async (req, reply) => {
    const name = SDK_FILES.find((f) => f === req.params.file);
    if (!name) {
      const res = notFound(
        req.params.file,
        `No SDK file "${req.params.file}": there are /sdk/reins.js (CommonJS) and /sdk/reins.mjs (ESM)`,
      );
      return reply.status(res.status).send(res.body);
    }
    const path = join(root, name);
    let body: Buffer;
    let mtimeMs: number;
    try {
      [body, { mtimeMs }] = await Promise.all([readFile(path), stat(path)]);
    } catch {
      const res = notFound(
        name,
        `The standalone SDK (${name}) is not built: there is no ${path}. Build it with ` +
          '`pnpm --filter reins-sdk build` (`pnpm start` does this for you).',
      );
      return reply.status(res.status).send(res.body);
    }
    const etag = `"${body.byteLength.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
    void reply.header('cache-control', CACHE).header('etag', etag);
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.status(200).type('text/javascript; charset=utf-8').send(body);
  });
}

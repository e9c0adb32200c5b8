import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.js';
import { routes } from './routes/index.js';

type Operation = {
  operationId: string;
  security?: unknown[];
  responses: Record<string, unknown>;
  requestBody?: { content: Record<string, { schema: unknown }> };
};
const doc = openApiDocument() as {
  paths: Record<string, Record<string, Operation>>;
  servers: unknown[];
  security: unknown[];
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ path, method, op })),
);

describe('the OpenAPI document', () => {
  it('names every operation once, in camelCase, from the route tables', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]+$/);
    for (const r of routes) expect(ids).toContain(r.operationId);
    expect(ids).toContain('createTransaction');
    expect(ids).toContain('listRules');
  });

  it('declares the server, bearer security, and no security on the public routes', () => {
    expect(doc.servers).toEqual([{ url: '/', description: 'This Reins server' }]);
    expect(doc.security).toEqual([{ bearer: [] }]);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.paths['/health']?.get?.security).toEqual([]);
    expect(doc.paths['/sdk/{file}']?.get?.security).toEqual([]);
    expect(doc.paths['/api/auth/login']?.post?.security).toEqual([]);
    expect(doc.paths['/api/auth/session']?.get?.security).toEqual([
      { bearer: [] },
      { session: [] },
    ]);
  });

  it('declares 401, 403, 422 and 429 on every API route, and 404 where the path names an object', () => {
    for (const r of routes) {
      const op = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      const statuses = Object.keys(op?.responses ?? {});
      expect(statuses, r.operationId).toEqual(
        expect.arrayContaining([String(r.status), '401', '403', '422', '429', '503']),
      );
      if (r.url.includes(':')) expect(statuses, r.operationId).toContain('404');
    }
  });

  it('gives every JSON success body a schema of its own, never a bare object', () => {
    for (const r of routes) {
      if (r.status === 204 || r.envelope === 'stream') continue;
      expect(r.response, r.operationId).not.toBeNull();
      const op = doc.paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
      const success = op?.responses[String(r.status)] as {
        content: Record<string, { schema: Record<string, unknown> }>;
      };
      const schema = success.content['application/json']?.schema ?? {};
      expect(Object.keys(schema).length, r.operationId).toBeGreaterThan(0);
      expect(schema, r.operationId).not.toEqual({ type: 'object' });
    }
  });

  it('names shared shapes under components.schemas, and refers to them', () => {
    for (const name of ['Transaction', 'PolicyRule', 'TypedRule', 'PolicyViolationError']) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    const text = JSON.stringify(doc);
    expect(text).toContain('"$ref":"#/components/schemas/Transaction"');
    expect(text).not.toContain('#/$defs/');
  });

  it('answers POLICY_VIOLATION or FORBIDDEN on the recording route’s 403', () => {
    const op = doc.paths['/api/v1/transactions']?.post;
    expect(JSON.stringify(op?.responses['403'])).toContain('PolicyViolationError');
  });
});

import { z } from 'zod';
import { routes } from './routes/index.js';

const errorBody = {
  type: 'object',
  required: ['success', 'code', 'message'],
  properties: {
    success: { const: false },
    code: { type: 'string' },
    message: { type: 'string' },
  },
};

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

let cached: unknown;

/** The OpenAPI 3.1 document of the REST routes, built from the same route list the server uses. */
export function openApiDocument(): unknown {
  if (cached) return cached;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    const params = [...r.url.matchAll(/:(\w+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = r.query
      ? Object.entries(
          (jsonSchema(r.query) as { properties?: Record<string, unknown> }).properties ?? {},
        ).map(([name, schema]) => ({ name, in: 'query', required: false, schema }))
      : [];
    const responses: Record<string, unknown> = {
      [String(r.status)]:
        r.status === 204
          ? { description: 'No content' }
          : r.envelope === 'stream'
            ? { description: 'Success', content: { 'text/csv': { schema: { type: 'string' } } } }
            : {
                description: 'Success',
                content: { 'application/json': { schema: { type: 'object' } } },
              },
      '401': {
        description: 'UNAUTHORIZED',
        content: { 'application/json': { schema: errorBody } },
      },
      '403': {
        description: 'FORBIDDEN (missing permission) or POLICY_VIOLATION',
        content: { 'application/json': { schema: errorBody } },
      },
      '422': {
        description: 'VALIDATION_ERROR',
        content: { 'application/json': { schema: errorBody } },
      },
      '429': {
        description: 'RATE_LIMITED',
        content: { 'application/json': { schema: errorBody } },
      },
    };
    if (params.length > 0)
      responses['404'] = {
        description: 'NOT_FOUND',
        content: { 'application/json': { schema: errorBody } },
      };
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      security: [{ bearer: [] }],
      'x-permission': r.permission,
      parameters: [...params, ...query],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(r.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  paths['/health'] = {
    get: {
      summary: 'Liveness and database reachability',
      responses: { '200': { description: 'OK' }, '503': { description: 'Database unreachable' } },
    },
  };
  cached = {
    openapi: '3.1.0',
    info: { title: 'Reins API', version: '2.0.0' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
  return cached;
}

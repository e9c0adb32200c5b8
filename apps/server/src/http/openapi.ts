/**
 * The OpenAPI 3.1 document of the REST routes, generated from the route tables the server
 * registers: request bodies and query strings from the zod schemas the routes parse with, success
 * bodies from each route's `response` schema, error bodies from the one error mapping (errors.ts).
 * Schemas with an `id` (`.meta({ id })`) become named `components.schemas`, so that client
 * generators give them names. The integration tests validate every answer against this document.
 */
import { z } from 'zod';
import { routes } from './routes/index.js';
import type { RouteDef } from './routeTypes.js';
import { MAX_KEY_LENGTH } from '../services/idempotency.js';
import {
  ForbiddenError,
  InternalError,
  NotFoundError,
  PayloadTooLargeError,
  PolicyViolationError,
  RateLimitedError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationErrorBody,
  conflictError,
} from './responses/common.js';
import { Health } from './responses/health.js';
import { SessionBody } from './responses/auth.js';
import { SESSION_COOKIE } from '../lib/cookies.js';
import {
  changePasswordInput,
  keyLoginInput,
  passwordLoginInput,
  redeemLinkInput,
} from '../schemas/users.js';

type Json = Record<string, unknown>;

/** The `components.schemas` being collected while the document is built. */
class Components {
  readonly schemas: Record<string, Json> = {};

  /** `schema` as JSON Schema, its named parts moved to `components.schemas`. */
  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const out = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      // Named schemas are referenced, never inlined (`#/$defs/X`, rewritten below).
      cycles: 'ref',
      reused: 'inline',
    }) as Json;
    const defs = (out.$defs ?? {}) as Record<string, Json>;
    delete out.$defs;
    for (const [name, def] of Object.entries(defs)) this.add(name, clean(def) as Json);
    // A named schema at the root comes back as a `$ref` to its own definition.
    return clean(out) as Json;
  }

  private add(name: string, schema: Json): void {
    const existing = this.schemas[name];
    if (existing && JSON.stringify(existing) !== JSON.stringify(schema)) {
      throw new Error(`two different schemas are named ${name} in the OpenAPI document`);
    }
    this.schemas[name] = schema;
  }
}

const SAFE_BOUND = Number.MAX_SAFE_INTEGER;

/**
 * zod's JSON Schema, tidied for OpenAPI: refs point into `components.schemas`, no `$schema` per
 * schema, no ±2^53 bounds on every integer, no `id` keyword.
 */
function clean(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(clean);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) {
    if (k === '$schema' || k === 'id') continue;
    if ((k === 'minimum' || k === 'maximum') && Math.abs(Number(v)) >= SAFE_BOUND) continue;
    if (k === '$ref' && typeof v === 'string') {
      out[k] = v.replace(/^#\/\$defs\//, '#/components/schemas/');
      continue;
    }
    // `properties` and `$defs` hold names, not keywords: a property may be called `id`.
    out[k] =
      k === 'properties' || k === 'patternProperties'
        ? Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, clean(s)]))
        : clean(v);
  }
  return out;
}

const json = (schema: Json) => ({ 'application/json': { schema } });

/** The error answers every authenticated route can give, as shared `components.responses`. */
const SHARED_ERRORS = {
  Unauthorized: ['401', UnauthorizedError, 'UNAUTHORIZED: invalid or missing API key'],
  Forbidden: ['403', ForbiddenError, 'FORBIDDEN: the API key lacks the permission'],
  NotFound: ['404', NotFoundError, 'NOT_FOUND'],
  PayloadTooLarge: ['413', PayloadTooLargeError, 'PAYLOAD_TOO_LARGE'],
  UnsupportedMediaType: ['415', UnsupportedMediaTypeError, 'UNSUPPORTED_MEDIA_TYPE'],
  ValidationError: ['422', ValidationErrorBody, 'VALIDATION_ERROR: names the invalid field'],
  RateLimited: ['429', RateLimitedError, 'RATE_LIMITED: retry after Retry-After seconds'],
  InternalError: ['500', InternalError, 'INTERNAL_ERROR'],
  ServiceUnavailable: ['503', ServiceUnavailableError, 'SERVICE_UNAVAILABLE: retry shortly'],
} as const;
type SharedError = keyof typeof SHARED_ERRORS;

const ref = (name: SharedError) => ({ $ref: `#/components/responses/${name}` });

/** `/api/x/:id` → `/api/x/{id}`. */
export const openApiPath = (url: string): string => url.replace(/:(\w+)/g, '{$1}');

function operation(r: RouteDef, c: Components): Json {
  const pathParams = [...r.url.matchAll(/:(\w+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query: Json[] = [];
  if (r.query) {
    const q = c.convert(r.query, 'input') as { properties?: Json; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema as Json;
      query.push({
        name,
        in: 'query',
        required: q.required?.includes(name) ?? false,
        ...(typeof description === 'string' ? { description } : {}),
        schema: rest,
      });
    }
  }
  // The routes that take a key say so by answering its conflict.
  const idempotent = r.conflicts?.includes('IDEMPOTENCY_CONFLICT') ?? false;
  const headers = idempotent
    ? [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'A replay with the same key answers the first response and records nothing twice; the same key with another body is a 409',
          schema: { type: 'string', minLength: 1, maxLength: MAX_KEY_LENGTH },
        },
      ]
    : [];

  const success: Json =
    r.status === 204
      ? { description: 'No content' }
      : r.envelope === 'stream'
        ? {
            description: 'The CSV file, streamed',
            content: { 'text/csv': { schema: { type: 'string' } } },
          }
        : {
            description: 'Success',
            content: {
              'application/json': {
                schema: r.response ? c.convert(r.response, 'output') : {},
                ...(r.examples?.response !== undefined
                  ? {
                      examples: {
                        docs: { summary: 'From the Reins docs', value: r.examples.response },
                      },
                    }
                  : {}),
              },
            },
          };
  const responses: Json = { [String(r.status)]: success, '401': ref('Unauthorized') };
  responses['403'] = r.policyViolation
    ? {
        description:
          'POLICY_VIOLATION: a rule blocked the transaction; FORBIDDEN: missing permission',
        content: json({
          oneOf: [c.convert(PolicyViolationError, 'output'), c.convert(ForbiddenError, 'output')],
        }),
      }
    : ref('Forbidden');
  if (pathParams.length > 0) responses['404'] = ref('NotFound');
  if (r.conflicts && r.conflicts.length > 0) {
    const codes = r.conflicts as unknown as [string, ...string[]];
    responses['409'] = {
      description: `Conflict: ${codes.join(', ')}`,
      content: json(c.convert(conflictError(codes), 'output')),
    };
  }
  if (r.body) responses['413'] = ref('PayloadTooLarge');
  responses['415'] = ref('UnsupportedMediaType');
  responses['422'] = ref('ValidationError');
  responses['429'] = ref('RateLimited');
  responses['500'] = ref('InternalError');
  responses['503'] = ref('ServiceUnavailable');

  return {
    operationId: r.operationId,
    summary: r.summary,
    tags: [r.tag],
    'x-permission': r.permission,
    ...(pathParams.length + query.length + headers.length > 0
      ? { parameters: [...pathParams, ...headers, ...query] }
      : {}),
    ...(r.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: c.convert(r.body, 'input'),
                ...(r.examples?.body !== undefined
                  ? {
                      examples: {
                        docs: { summary: 'From the Reins docs', value: r.examples.body },
                      },
                    }
                  : {}),
              },
            },
          },
        }
      : {}),
    responses,
  };
}

/** Routes outside the route tables: public, no API key. */
function publicPaths(c: Components): Record<string, Json> {
  const health = c.convert(Health, 'output');
  return {
    '/health': {
      get: {
        operationId: 'getHealth',
        summary: 'Liveness and database reachability',
        tags: ['Service'],
        security: [],
        responses: {
          '200': { description: 'Up, database reachable', content: json(health) },
          '503': {
            description: 'SERVICE_UNAVAILABLE: the database is unreachable',
            content: json(c.convert(ServiceUnavailableError, 'output')),
          },
        },
      },
    },
    '/api/openapi.json': {
      get: {
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI document',
        tags: ['Service'],
        security: [],
        responses: {
          '200': {
            description: 'The OpenAPI 3.1 document of the REST API',
            content: json({ type: 'object' }),
          },
        },
      },
    },
    '/api/docs': {
      get: {
        operationId: 'getApiDocs',
        summary: 'The API reference as a web page, rendered from this document',
        tags: ['Service'],
        security: [],
        responses: {
          '200': {
            description: 'An HTML page',
            content: { 'text/html': { schema: { type: 'string' } } },
          },
        },
      },
    },
    '/sdk/{file}': {
      get: {
        operationId: 'getSdkFile',
        summary: 'The one-file JavaScript SDK (reins.js: CommonJS, reins.mjs: ESM)',
        tags: ['Service'],
        security: [],
        parameters: [
          {
            name: 'file',
            in: 'path',
            required: true,
            schema: { type: 'string', enum: ['reins.js', 'reins.mjs'] },
          },
        ],
        responses: {
          '200': {
            description: 'The SDK file',
            content: { 'text/javascript': { schema: { type: 'string' } } },
          },
          '304': { description: 'Not modified (If-None-Match matched the ETag)' },
          '404': ref('NotFound'),
          '422': ref('ValidationError'),
        },
      },
    },
  };
}

/** The dashboard's session routes (http/auth.ts): sign in with a password, a link or a key. */
function authPaths(c: Components): Record<string, Json> {
  const session = {
    '200': {
      description: 'Signed in: the session cookie is set',
      headers: {
        'Set-Cookie': {
          description: `The \`${SESSION_COOKIE}\` cookie (HttpOnly, SameSite=Strict)`,
          schema: { type: 'string' },
        },
      },
      content: json(c.convert(SessionBody, 'output')),
    },
  };
  const body = (schema: z.ZodType) => ({
    requestBody: { required: true, content: json(c.convert(schema, 'input')) },
  });
  const errors = (...names: SharedError[]) =>
    Object.fromEntries(names.map((n) => [SHARED_ERRORS[n][0], ref(n)]));
  const signedIn = [{ bearer: [] }, { session: [] }];
  /** What the session routes that take a body (sign-in, link, password) may answer on failure. */
  const sessionBodyErrors = errors(
    'Unauthorized',
    'Forbidden',
    'PayloadTooLarge',
    'UnsupportedMediaType',
    'ValidationError',
    'RateLimited',
    'InternalError',
    'ServiceUnavailable',
  );
  return {
    '/api/auth/login': {
      post: {
        operationId: 'signIn',
        summary: 'Sign in to the dashboard with an email and password, or with an API key',
        tags: ['Sessions'],
        security: [],
        ...body(z.union([passwordLoginInput, keyLoginInput])),
        responses: {
          ...session,
          ...sessionBodyErrors,
        },
      },
    },
    '/api/auth/link': {
      post: {
        operationId: 'redeemSignInLink',
        summary:
          'Redeem a one-time sign-in link (first admin, invitation, reset) and set a password',
        tags: ['Sessions'],
        security: [],
        ...body(redeemLinkInput),
        responses: {
          ...session,
          ...sessionBodyErrors,
        },
      },
    },
    '/api/auth/session': {
      get: {
        operationId: 'getSession',
        summary: "The caller's session: user, organization, permissions, CSRF token",
        tags: ['Sessions'],
        security: signedIn,
        responses: {
          '200': { description: 'The session', content: json(c.convert(SessionBody, 'output')) },
          ...errors(
            'Unauthorized',
            'Forbidden',
            'UnsupportedMediaType',
            'ValidationError',
            'RateLimited',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/api/auth/logout': {
      post: {
        operationId: 'signOut',
        summary: 'Sign out: ends the session and clears its cookie (done even when it has ended)',
        tags: ['Sessions'],
        security: [],
        responses: {
          '204': { description: 'Signed out' },
          ...errors(
            'Forbidden',
            'UnsupportedMediaType',
            'ValidationError',
            'RateLimited',
            'InternalError',
            'ServiceUnavailable',
          ),
        },
      },
    },
    '/api/auth/password': {
      post: {
        operationId: 'changePassword',
        summary: "Change the signed-in user's password",
        tags: ['Sessions'],
        security: signedIn,
        ...body(changePasswordInput),
        responses: {
          '204': { description: 'Changed' },
          ...sessionBodyErrors,
        },
      },
    },
  };
}

const TAGS: Record<string, string> = {
  Transactions: 'Record transactions (the hot path), reservations, reviews, reads and traces',
  'Policy rules': 'Policy rules in the docs dialect, dry runs, backtests and rule hits',
  'Rules (typed)': 'The same rules in the typed dialect (snake_case)',
  'API keys': 'API keys: listed masked, shown once at creation, revoked',
  Agents: 'The agent registry and its monthly budgets',
  'Organization and budgets': 'Organization settings and the budgets window rules read',
  Vendors: 'The six vendors, their rate limits and the model price table',
  'Audit log': 'The append-only, hash-chained audit log, its CSV export and verification',
  Alerts: 'Policy alerts raised by warn and notify rules and budget thresholds',
  Analytics: 'Spend summaries, forecasts and anomalies',
  'Notification channels': 'Webhook, Slack and email channels that notify rules send to',
  SDK: "What the SDK's local evaluation mode syncs",
  Sessions: "The dashboard's sign-in: a session cookie, with a CSRF token for changes",
  Service: 'Health, this document, the API reference page and the one-file SDK (public)',
};

let cached: Json | undefined;

/** The OpenAPI 3.1 document of the REST routes, built from the same route list the server uses. */
export function openApiDocument(): Json {
  if (cached) return cached;
  const c = new Components();
  const paths: Record<string, Json> = {};
  const seen = new Set<string>();
  for (const r of routes) {
    if (seen.has(r.operationId)) throw new Error(`operationId ${r.operationId} is used twice`);
    seen.add(r.operationId);
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = operation(r, c);
  }
  Object.assign(paths, publicPaths(c), authPaths(c));
  const responses: Record<string, Json> = {};
  for (const [name, [, schema, description]] of Object.entries(SHARED_ERRORS)) {
    responses[name] = { description, content: json(c.convert(schema, 'output')) };
  }
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Reins API',
      version: '2.0.0',
      description:
        'Spend governance for AI agents: record what each AI call costs, get a pass, warn, flag or block decision from your policy rules, and keep an immutable audit trail. Authenticate with `Authorization: Bearer rk_...`.',
    },
    servers: [{ url: '/', description: 'This Reins server' }],
    security: [{ bearer: [] }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(c.schemas).sort(([a], [b]) => a.localeCompare(b))),
      responses,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key: `Authorization: Bearer rk_<env>_<random>`',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description:
            'The dashboard session (POST /api/auth/login); state-changing requests also send its CSRF token as x-reins-csrf',
        },
      },
    },
  };
  return cached;
}

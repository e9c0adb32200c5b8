/**
 * The OpenAPI document's contract, held against real answers: every response the integration
 * tests receive through `request()` (harness.ts) is validated against the schema the document
 * declares for its route (method + path template) and status. A status the route does not declare,
 * or a body its schema refuses, throws with the route, the status and the validator's errors.
 * Paths the document does not describe (tRPC, the dashboard, the auth routes, deliberately bogus
 * URLs) are not checked. Each validator is compiled once per process.
 */
import { appendFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../src/http/openapi.js';

type Json = Record<string, unknown>;

interface Operation {
  method: string;
  template: string;
  /** Path segments; null where the template has a parameter. */
  segments: (string | null)[];
  responses: Json;
}

interface Contract {
  operations: Operation[];
  ajv: Ajv2020;
  doc: Json;
  validators: Map<string, ValidateFunction | 'no-body' | { text: string }>;
}

let contract: Contract | undefined;

/** `#/components/schemas/X` → a ref into the one schema that holds them all. */
const toShared = (schema: unknown): unknown =>
  JSON.parse(
    JSON.stringify(schema).replaceAll(
      '"#/components/schemas/',
      '"https://reins.invalid/components#/$defs/',
    ),
  );

function load(): Contract {
  if (contract) return contract;
  const doc = openApiDocument();
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const components = doc.components as { schemas: Json };
  ajv.addSchema({ $id: 'https://reins.invalid/components', $defs: toShared(components.schemas) });
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, op] of Object.entries(item)) {
      operations.push({
        method: method.toUpperCase(),
        template,
        segments: template
          .split('/')
          .slice(1)
          .map((s) => (s.startsWith('{') ? null : s)),
        responses: (op as { responses: Json }).responses,
      });
    }
  }
  contract = { operations, ajv, doc, validators: new Map() };
  return contract;
}

/**
 * The operation a request reached, as Fastify routes it: static segments win over parameters,
 * position by position (`/api/policy-rules/backtest` is not `/api/policy-rules/{id}`).
 */
function operationOf(c: Contract, method: string, path: string): Operation | undefined {
  // What fetch sends: no fragment, dot segments resolved.
  let p = new URL(path, 'http://reins.invalid').pathname;
  if (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  const parts = p.split('/').slice(1);
  let best: { op: Operation; rank: string } | undefined;
  for (const op of c.operations) {
    if (op.method !== method || op.segments.length !== parts.length) continue;
    if (!op.segments.every((s, i) => (s === null ? (parts[i] ?? '') !== '' : s === parts[i])))
      continue;
    const rank = op.segments.map((s) => (s === null ? '0' : '1')).join('');
    if (!best || rank > best.rank) best = { op, rank };
  }
  return best?.op;
}

function resolveResponse(c: Contract, response: Json): Json {
  const ref = response.$ref;
  if (typeof ref !== 'string') return response;
  const name = ref.replace('#/components/responses/', '');
  return (c.doc.components as { responses: Record<string, Json> }).responses[name] ?? {};
}

export class ContractViolation extends Error {}

/** How many answers were held to the document in this process (and, with REINS_CONTRACT_LOG, where). */
export let validatedResponses = 0;

/**
 * Throws a `ContractViolation` when the answer contradicts the OpenAPI document; returns quietly
 * for paths the document does not describe.
 */
export function checkContract(
  method: string,
  path: string,
  res: { status: number; contentType: string | null; body: unknown; text: string },
): void {
  const c = load();
  const op = operationOf(c, method.toUpperCase(), path);
  if (!op) return;
  const where = `${op.method} ${op.template} → ${String(res.status)}`;
  const declared = op.responses[String(res.status)];
  if (!declared) {
    throw new ContractViolation(
      `${where}: the OpenAPI document declares no ${String(res.status)} for this route (it declares ${Object.keys(op.responses).join(', ')}); body: ${res.text.slice(0, 300)}`,
    );
  }
  const key = `${op.method} ${op.template} ${String(res.status)}`;
  let validator = c.validators.get(key);
  if (!validator) {
    const content = resolveResponse(c, declared as Json).content as
      Record<string, { schema?: unknown }> | undefined;
    const json = content?.['application/json'];
    if (json) validator = c.ajv.compile(toShared(json.schema ?? {}) as Json);
    else if (content) validator = { text: Object.keys(content)[0] ?? '' };
    else validator = 'no-body';
    c.validators.set(key, validator);
  }
  if (validator === 'no-body') {
    if (res.text !== '')
      throw new ContractViolation(
        `${where}: declared without a body, got ${res.text.slice(0, 200)}`,
      );
  } else if (typeof validator === 'object' && 'text' in validator) {
    const type = validator.text;
    if (!(res.contentType ?? '').startsWith(type)) {
      throw new ContractViolation(
        `${where}: declared ${type}, answered ${res.contentType ?? '(none)'}`,
      );
    }
  } else {
    if (!(res.contentType ?? '').startsWith('application/json') || res.body === undefined) {
      throw new ContractViolation(
        `${where}: declared application/json, answered ${res.contentType ?? '(none)'}: ${res.text.slice(0, 200)}`,
      );
    }
    if (!validator(res.body)) {
      throw new ContractViolation(
        `${where}: the body does not match the OpenAPI document:\n${c.ajv.errorsText(validator.errors, { separator: '\n' })}\nbody: ${res.text.slice(0, 1500)}`,
      );
    }
  }
  validatedResponses += 1;
  if (process.env.REINS_CONTRACT_LOG) appendFileSync(process.env.REINS_CONTRACT_LOG, `${key}\n`);
}

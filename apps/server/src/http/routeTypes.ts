/**
 * What a REST route is: the route tables (routes/*.ts, one per domain) are lists of these, which
 * the server registers and the OpenAPI document describes.
 */
import type { z } from 'zod';
import type { Ctx } from '../core.js';
import type { ServerEnv } from '../env.js';
import type { ConflictCode } from '../errors.js';

export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /**
   * The OpenAPI operationId (camelCase): what generated clients name the call. Written here, not
   * derived from the URL, so that it never changes by accident.
   */
  operationId: string;
  summary: string;
  tag: string;
  permission: string;
  /**
   * 'docs' answers `{success: true, ...result}`; 'plain' answers the result as is (typed API);
   * 'stream' sends a `StreamResult` (CSV exports) without buffering it.
   */
  envelope: 'docs' | 'plain' | 'stream';
  status: number;
  body?: z.ZodType;
  query?: z.ZodType;
  /**
   * The success body as sent (with the `success: true` of the 'docs' envelope); null for a 204
   * and a stream. The OpenAPI document publishes it and the integration tests hold every answer
   * to it.
   */
  response: z.ZodType | null;
  /** The 409 codes the route can answer (none: no 409). */
  conflicts?: readonly ConflictCode[];
  /** The route records a transaction and answers 403 POLICY_VIOLATION when a rule blocks it. */
  policyViolation?: true;
  /** The seed docs' own example of the request body and of the answer, when they give one. */
  examples?: { body?: unknown; response?: unknown };
  /** A larger body limit than the server's default (bulk uploads). */
  bodyLimit?: (env: ServerEnv) => number;
  run: (ctx: Ctx, input: RouteInput) => Promise<unknown>;
}

/** The `:id` path parameter. */
export const id = (i: RouteInput): string => i.params.id ?? '';

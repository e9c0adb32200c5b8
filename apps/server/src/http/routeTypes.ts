/**
 * What a REST route is: the route tables (routes/*.ts, one per domain) are lists of these, which
 * the server registers and the OpenAPI document describes.
 */
import type { z } from 'zod';
import type { Ctx } from '../core.js';
import type { ServerEnv } from '../env.js';

export interface RouteInput {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
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
  /** A larger body limit than the server's default (bulk uploads). */
  bodyLimit?: (env: ServerEnv) => number;
  run: (ctx: Ctx, input: RouteInput) => Promise<unknown>;
}

/** The `:id` path parameter. */
export const id = (i: RouteInput): string => i.params.id ?? '';

/**
 * The TypeScript types a client generator makes of the OpenAPI document: `openapi-typescript`
 * run on the document, as `pnpm --filter @reins/server generate:api-types` writes them to
 * test/generated/reins-api.d.ts (committed). The client test regenerates them from the document
 * the server serves and compares, so that the committed file cannot go stale.
 */
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';

export const API_TYPES_FILE = new URL('./generated/reins-api.d.ts', import.meta.url);

const HEADER =
  '// Generated from the Reins OpenAPI document by openapi-typescript: do not edit.\n' +
  '// Regenerate: pnpm --filter @reins/server generate:api-types\n';

export async function apiTypes(document: unknown): Promise<string> {
  const ast = await openapiTS(document as OpenAPI3, { alphabetize: false });
  return HEADER + astToString(ast);
}

/** `pnpm --filter @reins/server generate:api-types`: writes test/generated/reins-api.d.ts. */
import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../src/http/openapi.js';
import { API_TYPES_FILE, apiTypes } from '../test/apiTypes.js';

writeFileSync(API_TYPES_FILE, await apiTypes(openApiDocument()));
process.stdout.write(`wrote ${API_TYPES_FILE.pathname}\n`);

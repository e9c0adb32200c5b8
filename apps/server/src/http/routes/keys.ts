import { createKeyInput } from '../../schemas/keys.js';
import { createKey, listKeys, revokeKey } from '../../services/keys.js';
import { id, type RouteDef } from '../routeTypes.js';
import { CreatedKey, KeyList, RevokedKey } from '../responses/registry.js';

/** API keys (SPEC §2). */
export const keysRoutes: RouteDef[] = [
  {
    method: 'GET',
    url: '/api/keys',
    operationId: 'listApiKeys',
    response: KeyList,
    summary: 'List API keys (masked)',
    tag: 'API keys',
    permission: 'keys:admin',
    envelope: 'docs',
    status: 200,
    run: (ctx) => listKeys(ctx),
  },
  {
    method: 'POST',
    url: '/api/keys',
    operationId: 'createApiKey',
    examples: {
      body: { name: 'production', permissions: ['transactions:write', 'policies:read'] },
    },
    response: CreatedKey,
    summary: 'Create an API key: the key is shown once',
    tag: 'API keys',
    permission: 'keys:admin',
    envelope: 'docs',
    status: 201,
    body: createKeyInput,
    run: (ctx, i) => createKey(ctx, i.body),
  },
  {
    method: 'DELETE',
    url: '/api/keys/:id',
    operationId: 'revokeApiKey',
    response: RevokedKey,
    summary: 'Revoke an API key',
    tag: 'API keys',
    permission: 'keys:admin',
    envelope: 'docs',
    status: 200,
    run: (ctx, i) => revokeKey(ctx, id(i)),
  },
];

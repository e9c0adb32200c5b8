import { sdkState } from '../../services/sdkState.js';
import type { RouteDef } from '../routeTypes.js';
import { SdkStateBody } from '../responses/oversight.js';

/** What the SDK's local evaluation mode syncs (`/api/v1/sdk`). */
export const sdkRoutes: RouteDef[] = [
  {
    method: 'GET',
    url: '/api/v1/sdk/state',
    operationId: 'getSdkState',
    response: SdkStateBody,
    summary:
      'Everything local evaluation needs, as of one policy version: rules, org settings, agent ' +
      'budgets, vendors, price overrides and the current window totals (≤ 10,000, by key)',
    tag: 'SDK',
    permission: 'policies:read',
    envelope: 'docs',
    status: 200,
    run: (ctx) => sdkState(ctx),
  },
];

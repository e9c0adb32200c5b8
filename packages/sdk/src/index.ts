/**
 * reins-sdk: the docs' REST client (`reins()`), a typed tRPC client for TypeScript services, and
 * `ReinsSDK.wrap()` for OpenAI and Anthropic clients.
 */
export { ReinsError, ReinsBlockedError, type ErrorBody, type PolicyResult } from './errors.js';
export {
  reins,
  type ReinsClient,
  type ReinsOptions,
  type CallOptions,
  type WriteOptions,
} from './client.js';
export type * from './types.js';
export {
  ReinsSDK,
  type ReinsSDKOptions,
  type CallContext,
  type PolicyEvent,
  type SDKStats,
} from './sdk.js';
export type { SdkState } from './local.js';
export {
  createReinsTRPCClient,
  TRPCClientError,
  type AppRouter,
  type ReinsTRPCClient,
  type ReinsTRPCClientOptions,
  type RouterInputs,
  type RouterOutputs,
} from './trpc.js';
export type { Decision } from '@reins/engine';

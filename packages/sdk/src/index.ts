/**
 * reins-sdk: the docs' REST client (`reins()`) and `ReinsSDK.wrap()` for OpenAI and Anthropic
 * clients (remote mode). No dependencies and no Node built-ins: `fetch`, `AbortSignal` and
 * `globalThis.crypto` only, for Node ≥ 20, Deno, Bun and edge runtimes. The typed tRPC client is
 * `reins-sdk/trpc`; local evaluation (`mode: 'local'`) is `reins-sdk/local`.
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
export type { SdkState } from './localPolicy.js';
export type { Decision } from '@reins/engine';

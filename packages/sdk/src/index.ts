/**
 * reins-sdk: the docs' REST client (`reins()`), a typed tRPC client for TypeScript services, and
 * `ReinsSDK.wrap()` for OpenAI and Anthropic clients.
 */
export { ReinsError, ReinsBlockedError, type ErrorBody, type PolicyResult } from './errors.js';

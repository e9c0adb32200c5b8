import { describe, expect, it } from 'vitest';
import { generateApiKey, redactApiKeys } from './apiKeys.js';

describe('redactApiKeys', () => {
  it('masks every key in a URL, keeping its last four characters', () => {
    const a = generateApiKey('live');
    const b = generateApiKey('test');
    const url = `/api/v1/transactions?apiKey=${a}&other=${b}&limit=5`;
    expect(redactApiKeys(url)).toBe(
      `/api/v1/transactions?apiKey=rk_live_****${a.slice(-4)}&other=rk_test_****${b.slice(-4)}&limit=5`,
    );
  });

  it('leaves text without a key as it is', () => {
    expect(redactApiKeys('/api/keys/key_123?name=rk_short')).toBe(
      '/api/keys/key_123?name=rk_short',
    );
  });
});

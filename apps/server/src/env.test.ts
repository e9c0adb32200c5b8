import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVER_ENV_VARS } from './env.js';

const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');

describe('docs/operations.md', () => {
  it('names every variable the server reads', () => {
    expect(SERVER_ENV_VARS.length).toBeGreaterThan(30);
    expect(SERVER_ENV_VARS.filter((name) => !doc.includes(`\`${name}\``))).toEqual([]);
  });
});

import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'engine',
    include: ['src/**/*.test.ts', 'vectors/**/*.test.ts'],
    // Shared CI machines are noisy; property tests run hundreds of cases per test.
    testTimeout: 60_000,
  },
});

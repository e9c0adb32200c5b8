import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'sdk',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Integration tests start a real Reins server on its own database.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});

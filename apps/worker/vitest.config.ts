import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'worker',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Each integration file creates its own database; embedded PGlite can take minutes to open on
    // a loaded machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});

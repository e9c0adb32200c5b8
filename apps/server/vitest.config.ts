import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'server',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Each integration file creates its own database; embedded PGlite can take minutes to open on
    // a loaded machine.
    hookTimeout: 300_000,
    testTimeout: 120_000,
  },
});

import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'db',
    include: ['src/**/*.test.ts'],
    // Embedded PGlite can take minutes to open on a loaded machine; real PostgreSQL is fast.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});

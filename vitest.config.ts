import { defineConfig } from 'vitest/config';

// Unit tests (`*.test.ts`) sit beside the code; `*.integration.test.ts` need PostgreSQL.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
  },
});

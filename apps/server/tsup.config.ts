import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appBuildOptions } from '../../tooling/app-build.js';

// dist/main.js is what `pnpm start` runs; dist/serve.js, the HTTP benchmark's child, is the same
// server plus a stats channel, built alike so that the benchmark measures what production runs.
export default appBuildOptions(dirname(fileURLToPath(import.meta.url)), {
  main: 'src/main.ts',
  serve: 'bench/serve.ts',
});

import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { appBuildOptions } from '../../tooling/app-build.js';

export default appBuildOptions(dirname(fileURLToPath(import.meta.url)), { main: 'src/main.ts' });

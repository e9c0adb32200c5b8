import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'tsup';

const here = dirname(fileURLToPath(import.meta.url));

/** The workspace packages the SDK's sources import (`workspace:*`), TypeScript sources all. */
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
};
const workspace = Object.keys(pkg.devDependencies).filter((name) =>
  pkg.devDependencies[name]?.startsWith('workspace:'),
);

/**
 * The real path of a workspace package's TypeScript entry (its `types`). tsup's declaration
 * bundler (rollup-plugin-dts) treats every file reached through `node_modules` as an external
 * library, and workspace packages are `node_modules` symlinks: it wrote `export { compile } from
 * './compile.js'` into the published index.d.ts, or emitted nothing for them. Resolved by `paths`
 * to their real location, they are compiled like the SDK's own sources, and the declarations the
 * public types need (the engine's) are bundled. The server's never are: `AppRouter` (src/trpc.ts)
 * is declared in full, without naming it.
 */
function typesEntry(name: string): string {
  const dir = realpathSync(join(here, 'node_modules', name));
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { types: string };
  return resolve(dir, pkg.types);
}

// Three entries. The root (`reins-sdk`: `reins()`, remote `ReinsSDK`) has no dependency at all;
// `reins-sdk/trpc` leaves its packages (@trpc/client, @trpc/server, superjson: optional peer
// dependencies) external; `reins-sdk/local` bundles the engine and its price table (the SDK
// decides locally with the same code as the server). What the entries share (errors, transport,
// the remote SDK that the local one extends) is one chunk, in CommonJS as in ESM, so that
// `instanceof ReinsError` holds across entries. `scripts/check-dist.js` then fails the build if
// dist imports anything else, or the root entry anything at all.
export default defineConfig({
  entry: { index: 'src/index.ts', trpc: 'src/trpc.ts', local: 'src/local.ts' },
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node20',
  dts: {
    compilerOptions: {
      // tsup sets baseUrl, which TypeScript 6 deprecates.
      ignoreDeprecations: '6.0',
      paths: Object.fromEntries(workspace.map((name) => [name, [typesEntry(name)]])),
    },
  },
  noExternal: [/^@reins\//, '@pydantic/genai-prices'],
  external: ['@trpc/client', '@trpc/server', 'superjson'],
  splitting: true,
  clean: true,
  sourcemap: true,
  treeshake: true,
});

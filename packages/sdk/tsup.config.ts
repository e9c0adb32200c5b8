import { defineConfig } from 'tsup';

// One self-contained package: the engine and its price table are bundled in (the SDK decides
// locally with the same code as the server); only what a typed tRPC client needs stays external.
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node20',
  // tsup sets baseUrl, which TypeScript 6 deprecates.
  dts: { resolve: [/^@reins\//], compilerOptions: { ignoreDeprecations: '6.0' } },
  noExternal: [/^@reins\//, '@pydantic/genai-prices'],
  external: ['@trpc/client', '@trpc/server', 'superjson'],
  clean: true,
  sourcemap: true,
  treeshake: true,
});

/**
 * How the apps that run as Node processes (apps/server, apps/worker) are built: one ESM bundle
 * per entry in the app's dist/, with the workspace packages (TypeScript sources, `workspace:*`)
 * compiled in and every npm package left to node_modules. Each app's tsup.config.ts calls
 * `appBuildOptions`; `build-if-stale.ts` rebuilds before `pnpm start` when a source is newer.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Options } from 'tsup';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];
const here = dirname(fileURLToPath(import.meta.url));

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

function workspaceDeps(pkg: Manifest): string[] {
  return Object.entries(pkg.dependencies ?? {})
    .filter(([, range]) => range.startsWith('workspace:'))
    .map(([name]) => name);
}

/**
 * The directories of the workspace packages an app bundles, transitively (through the
 * `node_modules` symlinks pnpm made, so each package's own dependencies are followed from its
 * real location).
 */
export function bundledPackages(appDir: string): string[] {
  const found = new Map<string, string>();
  const visit = (dir: string) => {
    for (const name of workspaceDeps(manifest(dir))) {
      if (found.has(name)) continue;
      const real = realpathSync(join(dir, 'node_modules', name));
      found.set(name, real);
      visit(real);
    }
  };
  visit(appDir);
  return [...found.values()];
}

/**
 * Fails the build on an npm import the app does not declare. The bundle's imports resolve from
 * the app's own node_modules, where pnpm links only the app's dependencies: a package that only
 * a workspace package depends on (pglite for @reins/db, say) would build, then fail at start with
 * ERR_MODULE_NOT_FOUND. tsup's own plugin has already made the declared ones external by the time
 * this one sees an import, so any bare specifier left here (other than Node's and ours) is
 * undeclared.
 */
function declaredDependenciesOnly(app: Manifest): Plugin {
  return {
    name: 'declared-dependencies-only',
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, ({ path, importer }) => {
        if (path.startsWith('node:') || builtinModules.includes(path)) return undefined;
        if (path.startsWith('@reins/')) return undefined;
        const name = path.startsWith('@')
          ? path.split('/').slice(0, 2).join('/')
          : path.split('/')[0];
        return {
          errors: [
            {
              text: `${String(name)} (imported by ${importer}) is not a dependency of ${app.name}: add it to its package.json`,
            },
          ],
        };
      });
    },
  };
}

/** The tsup options of an app: `entry` maps output names (dist/<name>.js) to source files. */
export function appBuildOptions(appDir: string, entry: Record<string, string>): Options {
  const app = manifest(appDir);
  return {
    entry,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    outDir: join(appDir, 'dist'),
    // Started with --enable-source-maps: stack traces name the TypeScript files and lines.
    sourcemap: true,
    noExternal: [/^@reins\//],
    esbuildPlugins: [declaredDependenciesOnly(app)],
    clean: true,
    silent: true,
  };
}

/** The files whose change makes an app's build stale. */
export function appSources(appDir: string, entry: Record<string, string>): string[] {
  return [
    join(appDir, 'src'),
    join(appDir, 'package.json'),
    join(appDir, 'tsup.config.ts'),
    ...Object.values(entry).map((file) => join(appDir, file)),
    ...bundledPackages(appDir).flatMap((dir) => [join(dir, 'src'), join(dir, 'package.json')]),
    join(here, 'app-build.ts'),
    join(here, 'build-if-stale.ts'),
  ];
}

/** Every migration file is in the list the migrator runs, in the order of their timestamps. */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { migrationsList } from './migrations/index.js';

describe('migrations/index.ts', () => {
  it('lists every migration file once, oldest first', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
    const files = readdirSync(dir)
      .filter((f) => /^Migration\d{14}_\w+\.ts$/.test(f))
      .map((f) => f.replace(/\.ts$/, ''))
      .sort();
    expect(migrationsList.map((m) => m.name)).toEqual(files);
  });
});

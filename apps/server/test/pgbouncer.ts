/**
 * A PgBouncer in transaction mode in front of the test PostgreSQL (Debian's `pgbouncer`), for
 * tests that must show nothing relies on session state: behind it, consecutive transactions of
 * one client may run on different server connections.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find(
  (p) => spawnSync(p, ['--version']).status === 0,
);

/** Whether PgBouncer is installed (`.ci/run` installs it). */
export const pgbouncerInstalled = BINARY !== undefined;

export interface PgBouncer {
  /** `url` with its host and port replaced by the bouncer's. */
  via(url: string): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => {
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => {
      resolve(false);
    });
  });
}

/** Starts a PgBouncer (transaction pooling) to the PostgreSQL of `serverUrl`. */
export async function startPgBouncer(serverUrl: string, poolSize = 40): Promise<PgBouncer> {
  if (!BINARY) throw new Error('pgbouncer is not installed (apt-get install pgbouncer)');
  const target = new URL(serverUrl);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'reins-pgbouncer-'));
  chmodSync(dir, 0o755);
  const user = decodeURIComponent(target.username || 'postgres');
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || '5432'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${String(port)}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 2000',
      `default_pool_size = ${String(poolSize)}`,
      // node-postgres sends these at startup; PgBouncer refuses what it does not know.
      'ignore_startup_parameters = extra_float_digits,options,application_name',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root: as the postgres user then, which must read its files.
  const root = process.getuid?.() === 0;
  if (root) {
    const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    const [u, g] = [Number(id.stdout.trim()), Number(gid.stdout.trim())];
    for (const f of ['', 'users.txt', 'pgbouncer.ini']) chownSync(join(dir, f), u, g);
  }
  const ini = join(dir, 'pgbouncer.ini');
  // setpriv execs PgBouncer itself: the child is the bouncer, and a signal reaches it.
  const child: ChildProcess = root
    ? spawn('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', BINARY, ini], {
        stdio: 'ignore',
      })
    : spawn(BINARY, [ini], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  for (let i = 0; i < 100 && !(await accepts(port)); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await accepts(port))) {
    child.kill('SIGKILL');
    throw new Error(`pgbouncer did not start on port ${String(port)} (see ${dir}/pgbouncer.log)`);
  }
  return {
    via(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async stop() {
      // SIGINT: PgBouncer's "shut down now".
      if (child.exitCode === null) child.kill('SIGINT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

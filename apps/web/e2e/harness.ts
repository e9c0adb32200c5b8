/**
 * The browser tests' shared harness: a fresh database on TEST_DATABASE_URL's server (dropped at
 * the end), the server started on it on a free port of 127.0.0.1 (its admin key and first admin's
 * link read from what it prints), /usr/bin/chromium (CHROMIUM_PATH to change) headless through
 * playwright-core (which downloads no browser), named steps that print the open pages on failure.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';

export const WEB = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = join(WEB, '..', 'server');
const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOTAL_MS = 240_000;
export const STEP_MS = 15_000;
export const ADMIN_PASSWORD = 'correct horse battery admin';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

export function dbUrl(name: string): string {
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs one statement on the test server's maintenance database (create / drop database). */
export async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface Started {
  child: ChildProcess;
  url: string;
  apiKey: string;
  signInLink: string;
}

/**
 * The server's first start: its URL, the admin key and the first admin's link, as printed. A
 * later start on the same database (`firstStart: false`) prints only its URL (the other two are
 * then empty strings).
 */
export function startServer(
  databaseUrl: string,
  port: number,
  extraEnv: Record<string, string>,
  firstStart = true,
): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER,
    env: {
      ...process.env,
      ...extraEnv,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`The server did not start in 60 s:\n${out}`));
    }, 60_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Reins listening on (http:\/\/\S+)/.exec(out)?.[1];
      const apiKey = /\b(rk_[a-z0-9]+_[A-Za-z0-9]{16,})/.exec(out)?.[1];
      const signInLink = /Sign in to the dashboard: (http:\/\/\S+)/.exec(out)?.[1];
      if (url && !firstStart) {
        clearTimeout(timer);
        resolve({ child, url, apiKey: '', signInLink: '' });
      } else if (url && apiKey && signInLink) {
        clearTimeout(timer);
        resolve({ child, url, apiKey, signInLink });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The server exited (${String(code)}):\n${out}`));
    });
  });
}

export function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`Failed: ${what}`);
}

/** The open pages, whose text is printed when a step fails. */
export const open: Page[] = [];

export async function step(name: string, run: () => Promise<void>): Promise<void> {
  const t = Date.now();
  try {
    await run();
  } catch (err) {
    console.log(`  ✗ ${name}`);
    for (const p of open) {
      const text = await p
        .locator('body')
        .innerText({ timeout: 2000 })
        .catch(() => '?');
      console.log(`--- ${p.url()}\n${text.slice(0, 3000)}`);
    }
    throw err;
  }
  console.log(`  ✓ ${name} (${String(Date.now() - t)} ms)`);
}

export async function heading(page: Page, name: string): Promise<void> {
  await page.getByRole('heading', { name, exact: true }).waitFor({ timeout: STEP_MS });
}

export async function setPasswordFromLink(
  page: Page,
  link: string,
  password: string,
): Promise<void> {
  await page.goto(link);
  await heading(page, 'Set your password');
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await heading(page, 'Overview');
  check(!page.url().includes('token='), 'the spent token left the address bar');
}

/** Builds the dashboard if stale, starts a server and a browser, runs, cleans up. */
export function runE2E(
  title: string,
  run: (browser: Browser, server: Started) => Promise<void>,
  serverEnv: Record<string, string> = {},
): void {
  main(title, run, serverEnv).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

async function main(
  title: string,
  run: (browser: Browser, server: Started) => Promise<void>,
  serverEnv: Record<string, string>,
): Promise<void> {
  const build = spawnSync('pnpm', ['run', 'build:if-stale'], { cwd: WEB, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('The dashboard did not build');
  const db = `reins_e2e_${String(process.pid)}_${String(Date.now())}`;
  await admin(`create database ${db}`);
  let server: Started | null = null;
  let browser: Browser | null = null;
  const deadline = setTimeout(() => {
    console.error(`Gave up after ${String(TOTAL_MS / 1000)} s`);
    if (server) server.child.kill('SIGKILL');
    process.exit(1);
  }, TOTAL_MS);
  try {
    server = await startServer(dbUrl(db), await freePort(), serverEnv);
    console.log(`Server ${server.url} on database ${db}`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    await run(browser, server);
    console.log(`${title}: all steps passed`);
  } finally {
    clearTimeout(deadline);
    if (browser) await browser.close();
    if (server) await stopServer(server.child);
    await admin(`drop database if exists ${db} with (force)`);
  }
}

/** A serious or critical axe-core violation, with the page it was found on. */
export interface A11yFinding {
  page: string;
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** What `auditPage` found on every page so far (`reportA11y` fails on any). */
export const a11yFindings: A11yFinding[] = [];

/**
 * Runs axe-core on the page as it stands (serious and critical violations recorded) and, with
 * SCREENSHOTS=1, saves it as docs/screenshots/<name>.png (unless `screenshot: false`: a page
 * showing a secret, such as a key just created, is checked but not pictured).
 */
export async function auditPage(
  page: Page,
  name: string,
  { screenshot = true }: { screenshot?: boolean } = {},
): Promise<void> {
  await page.addScriptTag({ content: axe.source });
  const violations = await page.evaluate(async () => {
    const w = window as unknown as {
      axe: {
        run: () => Promise<{
          violations: {
            id: string;
            impact: string | null;
            help: string;
            nodes: { target: unknown[] }[];
          }[];
        }>;
      };
    };
    const r = await w.axe.run();
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? '',
      help: v.help,
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    }));
  });
  for (const v of violations) {
    if (v.impact === 'serious' || v.impact === 'critical') a11yFindings.push({ page: name, ...v });
  }
  if (screenshot && process.env.SCREENSHOTS === '1') {
    await page.screenshot({ path: join(WEB, '..', '..', 'docs', 'screenshots', `${name}.png`) });
  }
}

/** Fails, listing them, when axe-core found serious or critical violations. */
export function reportA11y(): void {
  for (const f of a11yFindings) {
    console.log(
      `  a11y ${f.page}: ${f.impact} ${f.id} (${f.help})\n    ${f.targets.join('\n    ')}`,
    );
  }
  check(
    a11yFindings.length === 0,
    `${String(a11yFindings.length)} serious/critical axe violations`,
  );
}

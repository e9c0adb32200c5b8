/**
 * The dashboard's sign-in, end to end in a real browser against a real server:
 * `pnpm --filter @reins/web test:e2e` (not part of `pnpm test`).
 *
 * Starts its own server on a fresh database (created on TEST_DATABASE_URL's server, dropped at
 * the end) and a free port of 127.0.0.1, and drives /usr/bin/chromium (CHROMIUM_PATH to change)
 * headless with playwright-core (which downloads no browser): the first admin's one-time link,
 * sign-out, email+password sign-in, a rule created, edited and tried, a viewer invited and signed in elsewhere (write
 * actions hidden, a write refused), API-key sign-in kept out of the browser's storage.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';

const WEB = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = join(WEB, '..', 'server');
const BASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOTAL_MS = 180_000;
const STEP_MS = 15_000;
const ADMIN_PASSWORD = 'correct horse battery admin';
const VIEWER_PASSWORD = 'correct horse battery viewer';

function freePort(): Promise<number> {
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

function dbUrl(name: string): string {
  const u = new URL(BASE_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

interface Started {
  child: ChildProcess;
  url: string;
  apiKey: string;
  signInLink: string;
}

/** The server's first start: its URL, the admin key and the first admin's link, as printed. */
function startServer(databaseUrl: string, port: number): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER,
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`The server did not start in 60 s:\n${out}`));
    }, 60_000);
    const read = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /Reins listening on (http:\/\/\S+)/.exec(out)?.[1];
      const apiKey = /\b(rk_live_[A-Za-z0-9]+)/.exec(out)?.[1];
      const signInLink = /Sign in to the dashboard: (http:\/\/\S+)/.exec(out)?.[1];
      if (url && apiKey && signInLink) {
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

function stopServer(child: ChildProcess): Promise<void> {
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

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`Failed: ${what}`);
}

/** The open pages, whose text is printed when a step fails. */
const open: Page[] = [];

async function step(name: string, run: () => Promise<void>): Promise<void> {
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

async function heading(page: Page, name: string): Promise<void> {
  await page.getByRole('heading', { name, exact: true }).waitFor({ timeout: STEP_MS });
}

async function setPasswordFromLink(page: Page, link: string, password: string): Promise<void> {
  await page.goto(link);
  await heading(page, 'Set your password');
  await page.getByLabel('New password').fill(password);
  await page.getByLabel('Repeat the password').fill(password);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await heading(page, 'Overview');
  check(!page.url().includes('token='), 'the spent token left the address bar');
}

/** A tRPC mutation from the page as the app sends it (cookie + CSRF): its HTTP status. */
function tryWrite(page: Page): Promise<number> {
  return page.evaluate(async () => {
    const s = (await (await fetch('/api/auth/session')).json()) as {
      session: { csrfToken: string };
    };
    const res = await fetch('/trpc/policyRules.create?batch=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-reins-csrf': s.session.csrfToken },
      body: JSON.stringify({ 0: { json: { name: 'sneaky', action: 'block' } } }),
    });
    return res.status;
  });
}

async function run(browser: Browser, server: Started): Promise<void> {
  const adminCtx = await browser.newContext();
  const page = await adminCtx.newPage();
  page.setDefaultTimeout(STEP_MS);
  open.push(page);

  await step('the first admin’s one-time link sets a password and lands on the overview', () =>
    setPasswordFromLink(page, server.signInLink, ADMIN_PASSWORD),
  );

  await step('the link is spent: opening it again is refused', async () => {
    const again = await adminCtx.newPage();
    await again.goto(server.signInLink);
    // Already signed in, the app still shows the link page; using it must fail.
    await again.getByLabel('New password').fill('another long password');
    await again.getByLabel('Repeat the password').fill('another long password');
    await again.getByRole('button', { name: 'Set password and sign in' }).click();
    await again.getByText('This link has expired or was already used').waitFor();
    await again.close();
  });

  await step('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in to Reins');
    const status = await page.evaluate(async () => (await fetch('/api/auth/session')).status);
    check(status === 401, `no session after sign-out (got ${String(status)})`);
  });

  await step('a wrong password is refused without saying which part was wrong', async () => {
    await page.getByLabel('Email').fill('admin@localhost');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Those credentials were not accepted.').waitFor();
  });

  await step('signs in with email and password', async () => {
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(page, 'Overview');
    await page.reload();
    await heading(page, 'Overview');
  });

  await step('creates a rule', async () => {
    await page.getByRole('link', { name: 'Policy rules' }).click();
    await heading(page, 'Policy rules');
    const form = page.getByRole('form', { name: 'New rule' });
    await form.getByLabel('Name').fill('Cap GPT at $5');
    await form.getByLabel('Action').selectOption('block');
    await form.getByLabel('Models').fill('gpt-4*');
    await form.getByLabel('Window').selectOption('daily');
    await form.getByLabel('Limit (cents)').fill('500');
    await form.getByRole('button', { name: 'Create rule' }).click();
    await page.getByRole('cell', { name: 'Cap GPT at $5', exact: true }).waitFor();
  });

  await step('edits the rule and tries a call against it', async () => {
    await page.getByRole('button', { name: 'Edit Cap GPT at $5' }).click();
    const form = page.getByRole('form', { name: 'Edit rule “Cap GPT at $5”' });
    await form.getByLabel('Name').fill('Daily cap $7');
    await form.getByLabel('Models').fill('');
    await form.getByLabel('Limit (cents)').fill('700');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('cell', { name: 'Daily cap $7', exact: true }).waitFor();
    await page.getByRole('cell', { name: '$7.00', exact: true }).waitFor();
    const tryIt = page.getByRole('form', { name: 'Try a call' });
    await tryIt.getByLabel('Vendor').selectOption('anthropic');
    await tryIt.getByLabel('Amount ($)').fill('8');
    await tryIt.getByRole('button', { name: 'Evaluate' }).click();
    await page.getByText('by “Daily cap $7”').waitFor();
    await tryIt.getByLabel('Amount ($)').fill('1');
    await tryIt.getByRole('button', { name: 'Evaluate' }).click();
    await page.getByText('by the default action').waitFor();
  });

  let viewerLink = '';
  await step('invites a viewer and is shown the one-time link', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await heading(page, 'Users');
    await page.getByLabel('Role of admin@localhost').waitFor();
    const form = page.getByRole('form', { name: 'Invite a user' });
    await form.getByLabel('Email').fill('viewer@example.com');
    await form.getByLabel('Name').fill('Vera Viewer');
    await form.getByLabel('Role').selectOption('viewer');
    await form.getByRole('button', { name: 'Invite' }).click();
    const panel = page.getByRole('region', { name: 'viewer@example.com invited' });
    viewerLink = (await panel.locator('code').textContent()) ?? '';
    check(
      viewerLink.startsWith(`${server.url}/sign-in/link#token=`),
      `a full link (${viewerLink})`,
    );
    await page.getByRole('cell', { name: 'viewer@example.com', exact: true }).waitFor();
  });

  await step('the last admin cannot be demoted: the 409 is shown', async () => {
    await page.getByLabel('Role of admin@localhost').selectOption('viewer');
    await page.getByRole('button', { name: 'Save the role of admin@localhost' }).click();
    await page.getByRole('alert').getByText('last active admin').waitFor();
    await page.getByRole('button', { name: 'Keep the role of admin@localhost' }).click();
  });

  const viewerCtx = await browser.newContext();
  const viewer = await viewerCtx.newPage();
  viewer.setDefaultTimeout(STEP_MS);
  open.push(viewer);
  await step('the viewer signs in with their link in a fresh browser', () =>
    setPasswordFromLink(viewer, viewerLink, VIEWER_PASSWORD),
  );

  await step('the viewer sees no write actions', async () => {
    const nav = viewer.getByRole('navigation', { name: 'Main' });
    check((await nav.getByRole('link', { name: 'Users' }).count()) === 0, 'no Users link');
    check((await nav.getByRole('link', { name: 'API keys' }).count()) === 0, 'no API keys link');
    await nav.getByRole('link', { name: 'Policy rules' }).click();
    await viewer.getByRole('cell', { name: 'Daily cap $7', exact: true }).waitFor();
    check((await viewer.getByRole('form', { name: 'New rule' }).count()) === 0, 'no rule form');
    check(
      (await viewer.getByRole('button', { name: /Delete|Disable|Edit/ }).count()) === 0,
      'no buttons',
    );
  });

  await step('a write by the viewer is refused (403)', async () => {
    const status = await tryWrite(viewer);
    check(status === 403, `the viewer's write refused (got ${String(status)})`);
  });

  await step('the admin disables the viewer: their session ends', async () => {
    await page.reload();
    await heading(page, 'Users');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Disable viewer@example.com' }).click();
    await page.getByRole('button', { name: 'Enable viewer@example.com' }).waitFor();
    await viewer.reload();
    await heading(viewer, 'Sign in to Reins');
  });

  await step('a cookie write without the CSRF header is refused', async () => {
    const status = await page.evaluate(async () => {
      const res = await fetch('/trpc/policyRules.create?batch=1', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ 0: { json: { name: 'csrf', action: 'block' } } }),
      });
      return res.status;
    });
    check(status === 403, `no CSRF header, refused (got ${String(status)})`);
  });

  const keyCtx = await browser.newContext();
  const keyPage = await keyCtx.newPage();
  keyPage.setDefaultTimeout(STEP_MS);
  open.push(keyPage);
  await step('signs in with the API key: a cookie session, the key kept nowhere', async () => {
    await keyPage.goto(server.url);
    await heading(keyPage, 'Sign in to Reins');
    await keyPage.getByRole('button', { name: 'Sign in with an API key' }).click();
    await keyPage.getByLabel('API key').fill(server.apiKey);
    await keyPage.getByRole('button', { name: 'Sign in', exact: true }).click();
    await heading(keyPage, 'Overview');
    const stored = await keyPage.evaluate(() =>
      JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)]),
    );
    check(!stored.includes('rk_'), 'no key in web storage');
    const cookies = await keyCtx.cookies();
    check(
      cookies.some((c) => c.name === 'reins_session' && c.httpOnly),
      'an HttpOnly session cookie',
    );
    await keyPage.reload();
    await heading(keyPage, 'Overview');
    check(await keyPage.getByText('API key').first().isVisible(), 'signed in as the key');
  });

  await Promise.all([adminCtx.close(), viewerCtx.close(), keyCtx.close()]);
}

async function main(): Promise<void> {
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
    server = await startServer(dbUrl(db), await freePort());
    console.log(`Server ${server.url} on database ${db}`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    await run(browser, server);
    console.log('Sign-in e2e: all steps passed');
  } finally {
    clearTimeout(deadline);
    if (browser) await browser.close();
    if (server) await stopServer(server.child);
    await admin(`drop database if exists ${db} with (force)`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

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
import type { Browser, Page } from 'playwright-core';
import {
  ADMIN_PASSWORD,
  STEP_MS,
  check,
  heading,
  open,
  runE2E,
  setPasswordFromLink,
  step,
  type Started,
} from './harness';

const VIEWER_PASSWORD = 'correct horse battery viewer';

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
    await page.getByRole('button', { name: 'Details of Cap GPT at $5', exact: true }).waitFor();
  });

  await step('edits the rule and tries a call against it', async () => {
    await page.getByRole('button', { name: 'Edit Cap GPT at $5' }).click();
    const form = page.getByRole('form', { name: 'Edit rule “Cap GPT at $5”' });
    await form.getByLabel('Name').fill('Daily cap $7');
    await form.getByLabel('Models').fill('');
    await form.getByLabel('Limit (cents)').fill('700');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('button', { name: 'Details of Daily cap $7', exact: true }).waitFor();
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
    await page.getByRole('button', { name: 'Cancel the role change of admin@localhost' }).click();
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
    await viewer.getByRole('button', { name: 'Details of Daily cap $7', exact: true }).waitFor();
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

runE2E('Sign-in e2e', run);

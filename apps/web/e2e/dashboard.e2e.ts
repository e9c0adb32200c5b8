/**
 * The dashboard with data, end to end in a real browser (harness.ts): transactions sent through
 * the REST API with the bootstrap key (one flagged, one blocked), seen in the table with a
 * decision trace, the flagged one approved in the review queue, the overview's month checked
 * against `GET /api/analytics/summary`, the audit CSV downloaded, an API key created, revoked and
 * refused, sign-out. axe-core runs on every page (serious or critical violations fail); with
 * SCREENSHOTS=1 every page is saved under docs/screenshots/.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import {
  ADMIN_PASSWORD,
  STEP_MS,
  auditPage,
  check,
  heading,
  open,
  reportA11y,
  runE2E,
  setPasswordFromLink,
  step,
  type Started,
} from './harness';

const BOOTSTRAP_KEY = 'rk_e2e_0123456789abcdefGHIJ';

async function api(
  server: Started,
  method: string,
  path: string,
  body?: unknown,
  key = BOOTSTRAP_KEY,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, json: { text } };
  }
}

/** The transaction's id in a create answer (the body or its `data`). */
function txId(json: Record<string, unknown>): string {
  const data = (json.data ?? json) as Record<string, unknown>;
  const id = data.transactionId ?? data.id;
  check(typeof id === 'string', `a transaction id in ${JSON.stringify(json)}`);
  return id as string;
}

/** Digits of a tile's text as a whole number ("$12.34" → 1234, "3" → 3). */
function digits(text: string): number {
  return Number(text.replace(/[^0-9]/g, ''));
}

async function nav(page: Page, link: string, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: link }).click();
  await heading(page, title);
}

/** The page's queries answered: no loading indicator left (the app polls, so no network idle). */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.body.innerText.includes('Loading…'));
}

async function run(browser: Browser, server: Started): Promise<void> {
  const ctx = await browser.newContext({
    // E2E_COLOR_SCHEME=dark runs the same pages (and axe-core) in the dark theme.
    colorScheme: process.env.E2E_COLOR_SCHEME === 'dark' ? 'dark' : 'light',
    viewport: { width: 1366, height: 900 },
    acceptDownloads: true,
    // axe-core is injected as an inline script, which the server's CSP (script-src 'self') refuses.
    bypassCSP: true,
  });
  const page = await ctx.newPage();
  page.setDefaultTimeout(STEP_MS);
  open.push(page);

  const ids: Record<'allowed' | 'flagged' | 'blocked', string> = {
    allowed: '',
    flagged: '',
    blocked: '',
  };
  await step('rules and transactions through the REST API with the bootstrap key', async () => {
    const block = await api(server, 'POST', '/api/policy-rules', {
      name: 'Block over $50',
      priority: 20,
      conditions: { amountCents: { min: 5001 } },
      action: 'block',
    });
    check(block.status === 201 || block.status === 200, `block rule: ${JSON.stringify(block)}`);
    const flag = await api(server, 'POST', '/api/policy-rules', {
      name: 'Flag over $10',
      priority: 10,
      conditions: { amountCents: { min: 1001 } },
      action: 'flag',
    });
    check(flag.status === 201 || flag.status === 200, `flag rule: ${JSON.stringify(flag)}`);
    const allowed = await api(server, 'POST', '/api/v1/transactions', {
      amount: 250,
      vendor: 'openai',
      model: 'gpt-4o',
      agentId: 'support-bot',
    });
    check(allowed.status < 300, `allowed: ${JSON.stringify(allowed)}`);
    ids.allowed = txId(allowed.json);
    const flagged = await api(server, 'POST', '/api/v1/transactions', {
      amount: 1500,
      vendor: 'anthropic',
      model: 'claude-sonnet-4',
      agentId: 'research-agent',
    });
    check(flagged.status < 300, `flagged: ${JSON.stringify(flagged)}`);
    ids.flagged = txId(flagged.json);
    const blocked = await api(server, 'POST', '/api/v1/transactions', {
      amount: 6000,
      vendor: 'openai',
      model: 'gpt-4',
      agentId: 'research-agent',
    });
    check(blocked.status === 403, `blocked: ${JSON.stringify(blocked)}`);
    const bj = blocked.json as { transactionId?: string; data?: { transactionId?: string } };
    ids.blocked = bj.transactionId ?? bj.data?.transactionId ?? '';
  });

  await step('the admin signs in with the one-time link', async () => {
    await page.goto(server.signInLink);
    await heading(page, 'Set your password');
    await auditPage(page, 'sign-in-link');
    await setPasswordFromLink(page, server.signInLink, ADMIN_PASSWORD);
  });

  await step('the transactions table lists them; a decision trace, rule by rule', async () => {
    await nav(page, 'Transactions', 'Transactions');
    await page.getByRole('cell', { name: 'support-bot', exact: true }).waitFor();
    check(
      (await page.getByRole('cell', { name: 'research-agent', exact: true }).count()) === 2,
      'both research-agent transactions listed',
    );
    await page.getByRole('button', { name: `Open the decision trace of ${ids.flagged}` }).click();
    const trace = page.getByRole('region', { name: `Decision trace of ${ids.flagged}` });
    await trace.waitFor();
    await trace.getByText('Flag over $10').waitFor();
    await trace.getByText('Block over $50').waitFor();
    check((await trace.locator('li').count()) === 2, 'two rules in the trace');
    await auditPage(page, 'transactions');
  });

  await step('the flagged one is approved with a note in the review queue', async () => {
    await nav(page, 'Review', 'Review queue');
    await page.getByText(ids.flagged).first().waitFor();
    await auditPage(page, 'review');
    await page.getByLabel('Note (optional)').fill('Expected: the monthly research run.');
    await page.getByRole('button', { name: `Approve ${ids.flagged}` }).click();
    await page.getByText('Nothing to review.').waitFor();
    await nav(page, 'Transactions', 'Transactions');
    await page
      .getByRole('row', { name: /claude-sonnet-4/ })
      .getByText('approved', { exact: true })
      .waitFor();
  });

  await step('the overview’s month agrees with GET /api/analytics/summary', async () => {
    const { status, json } = await api(server, 'GET', '/api/analytics/summary?period=monthly');
    check(status === 200, `summary: ${JSON.stringify(json)}`);
    const s = (json.data ?? json) as Record<string, number>;
    await nav(page, 'Overview', 'Overview');
    const tiles = page.getByRole('region', { name: 'This month' });
    const tile = async (label: string) =>
      digits(
        (await tiles
          .locator('.tile', { has: page.getByText(label, { exact: true }) })
          .locator('.tile-value')
          .innerText()) || '',
      );
    await tiles.waitFor();
    const shown = {
      spend: await tile('Spend this month'),
      blocked: await tile('Blocked'),
      flagged: await tile('Flagged'),
      warned: await tile('Warned'),
    };
    const want = {
      spend: s.totalSpendCents,
      blocked: s.blockedCount,
      flagged: s.flaggedCount,
      warned: s.warnedCount,
    };
    check(
      JSON.stringify(shown) === JSON.stringify(want),
      `tiles ${JSON.stringify(shown)} = summary ${JSON.stringify(want)}`,
    );
    check(want.blocked === 1 && want.flagged === 1, `one blocked, one flagged`);
    await auditPage(page, 'overview');
  });

  await step('a rule’s hits per day, and a backtest of it over the last 7 days', async () => {
    await nav(page, 'Policy rules', 'Policy rules');
    await page.getByRole('button', { name: 'Details of Block over $50' }).click();
    const details = page.locator('[id^="rule-details-"]');
    await details.getByText(/1 hit in the last 30 days/).waitFor();
    await details.getByLabel('Period').selectOption({ label: 'Last 7 days' });
    await details.getByRole('button', { name: /Backtest this rule/ }).click();
    // The replay runs in the server's worker; the page follows its progress.
    await details
      .getByText('Last 7 days: this rule would have blocked 1 transaction, $60.00.')
      .waitFor({ timeout: 60_000 });
    await auditPage(page, 'policy-rules');
  });

  await step('a webhook channel: created, tested, its delivery shown as delivered', async () => {
    const received: { type?: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        try {
          received.push(JSON.parse(body) as { type?: string });
        } catch {
          received.push({});
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const port = (receiver.address() as AddressInfo).port;
      await nav(page, 'Alerts', 'Alerts');
      const form = page.getByRole('form', { name: 'New channel' });
      await form.getByLabel('Name').fill('Ops webhook');
      await form.getByLabel('Type').selectOption('webhook');
      await form.getByLabel('URL').fill(`http://127.0.0.1:${String(port)}/hook`);
      await form.getByRole('button', { name: 'Create channel' }).click();
      await page
        .getByRole('region', { name: /Ops webhook/ })
        .getByRole('button', { name: 'Done' })
        .click();
      await page.getByRole('button', { name: 'Send test to Ops webhook' }).click();
      const deliveries = page.getByRole('region', { name: 'Recent deliveries to Ops webhook' });
      await deliveries.getByText('Delivered', { exact: true }).waitFor({ timeout: 30_000 });
      check(
        received.some((b) => b.type === 'channel.test'),
        `the receiver got the test (${JSON.stringify(received)})`,
      );
      await settled(page);
      await auditPage(page, 'alerts');
    } finally {
      receiver.close();
    }
  });

  await step('a team budget added with the form, its use shown against it', async () => {
    await nav(page, 'Budgets', 'Budgets');
    const form = page.getByRole('form', { name: 'Add a budget' });
    await form.getByLabel('Kind').selectOption('team');
    await form.getByLabel('Id').fill('research');
    await form.getByLabel('Monthly ($)').fill('100');
    await form.getByRole('button', { name: 'Add budget' }).click();
    await page.getByRole('meter', { name: /research, monthly: used/ }).waitFor();
    await settled(page);
    await page.evaluate(() => {
      window.scrollTo(0, 0);
    });
    await auditPage(page, 'budgets');
  });

  await step('a vendor’s price table, and a price override added for one model', async () => {
    await nav(page, 'Vendors', 'Vendors');
    await page.getByRole('button', { name: 'Prices of OpenAI' }).click();
    await page.getByRole('table', { name: 'Price table' }).waitFor();
    const form = page.getByRole('form', { name: 'Add a price override for OpenAI' });
    await form.getByLabel('Model').fill('gpt-4o');
    await form.getByLabel('Input ($ per 1M tokens)').fill('2');
    await form.getByLabel('Output ($ per 1M tokens)').fill('8');
    await form.getByRole('button', { name: /Add override/ }).click();
    await page
      .getByRole('table', { name: 'Price overrides' })
      .getByRole('rowheader', { name: 'gpt-4o', exact: true })
      .waitFor();
    await auditPage(page, 'vendors');
  });

  await step('the other pages, checked for accessibility', async () => {
    for (const [link, title, name] of [
      ['Agents', 'Agents', 'agents'],
      ['Users', 'Users', 'users'],
    ] as const) {
      await nav(page, link, title);
      await settled(page);
      await auditPage(page, name);
    }
    await page.locator('header a[href="/account"]').click();
    await heading(page, 'Account');
    await auditPage(page, 'account');
  });

  await step('downloads the audit CSV', async () => {
    await nav(page, 'Audit log', 'Audit log');
    await settled(page);
    await auditPage(page, 'audit-log');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Download CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    check(/\bid\b.*\baction\b/i.test(lines[0] ?? ''), `a header row (${lines[0] ?? ''})`);
    check(lines.length > 1, 'rows');
  });

  await step('creates an API key (shown once, with a copy button), revokes it: 401', async () => {
    await nav(page, 'API keys', 'API keys');
    const form = page.getByRole('form', { name: 'New API key' });
    await form.getByLabel('Name').fill('e2e key');
    const boxes = form.getByRole('checkbox');
    if ((await form.getByRole('checkbox', { checked: true }).count()) === 0) {
      await boxes.first().check();
    }
    await form.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByRole('region', { name: 'Key “e2e key” created' });
    const key = (await shown.locator('code').textContent()) ?? '';
    check(key.startsWith('rk_'), `the key shown (${key})`);
    await shown.getByRole('button', { name: 'Copy' }).waitFor();
    await auditPage(page, 'api-keys-created', { screenshot: false });
    const before = await api(server, 'GET', '/api/analytics/summary', undefined, key);
    check(before.status !== 401, `the new key is accepted (got ${String(before.status)})`);
    await shown.getByRole('button', { name: 'Done' }).click();
    check((await page.getByText(key).count()) === 0, 'the key is not shown again');
    page.once('dialog', (d) => void d.accept());
    await page
      .getByRole('row', { name: /e2e key/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await page
      .getByRole('row', { name: /e2e key/ })
      .getByText(/Revoked/)
      .waitFor();
    const after = await api(server, 'GET', '/api/analytics/summary', undefined, key);
    check(after.status === 401, `the revoked key is refused (got ${String(after.status)})`);
    await auditPage(page, 'api-keys');
  });

  await step('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await heading(page, 'Sign in to Reins');
    await auditPage(page, 'sign-in');
  });

  await ctx.close();
  await step(
    'the API reference at /api/docs renders, asking nothing of any other origin',
    async () => {
      const docsCtx = await browser.newContext();
      const docs = await docsCtx.newPage();
      docs.setDefaultTimeout(STEP_MS);
      open.push(docs);
      // A CSP refusal shows as a console error; a CDN font or script as a request elsewhere.
      const problems: string[] = [];
      const elsewhere: string[] = [];
      docs.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      docs.on('console', (m) => {
        // A failed load is reported with its address by the response handler below.
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
          problems.push(`console: ${m.text()}`);
      });
      docs.on('response', (r) => {
        if (r.status() >= 400) problems.push(`${String(r.status())} ${r.url()}`);
      });
      docs.on('request', (r) => {
        const url = r.url();
        if (!url.startsWith(`${server.url}/`) && !/^(data|blob):/.test(url)) elsewhere.push(url);
      });
      await docs.goto(`${server.url}/api/docs`);
      await docs.getByText('Record a transaction: evaluate the policy').first().waitFor();
      await docs.getByText('Get one transaction').first().waitFor();
      check(problems.length === 0, `no page errors or CSP refusals: ${problems.join(' | ')}`);
      check(elsewhere.length === 0, `only same-origin requests: ${elsewhere.join(', ')}`);
      open.splice(open.indexOf(docs), 1);
      await docsCtx.close();
    },
  );
  await step('no serious or critical accessibility violations', () => {
    reportA11y();
    return Promise.resolve();
  });
}

runE2E('Dashboard e2e', run, { REINS_BOOTSTRAP_KEY: BOOTSTRAP_KEY });

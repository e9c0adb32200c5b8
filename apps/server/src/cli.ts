/**
 * `pnpm reins <command>`: administration from a shell, on the database the server uses
 * (DATABASE_URL, or the embedded PGlite under REINS_DATA_DIR), through the same services and
 * audit log as the HTTP API (actor `cli`).
 *
 * `runCli(argv, io)` is the whole program (tests call it in-process); the bottom of this file
 * runs it when the module is the entry point.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isValidTimeZone } from '@reins/engine';
import { readEnv, type ServerEnv } from './env.js';
import { NotFound, ValidationError } from './errors.js';
import { PERMISSIONS } from './lib/apiKeys.js';
import { ident, parseInput } from './schemas/common.js';
import { createKeyInput } from './schemas/keys.js';
import type { Database } from '@reins/ledger';
import type { EntityManager } from '@mikro-orm/postgresql';
import { openServerDatabase } from './server.js';
import { findKeys, issueKey, keyView, revokeKeyById } from './services/keys.js';
import {
  applyOrgUpdate,
  createOrganization,
  listOrganizations,
  orgView,
  requireOrganization,
  type OrgView,
} from './services/orgs.js';
import { updateOrgInput } from './schemas/org.js';
import { ROLES } from './lib/apiKeys.js';
import { createUserInput } from './schemas/users.js';
import {
  createUserWithLink,
  findUserByEmail,
  findUsers,
  resetPasswordById,
  signInLinkPath,
  userView,
} from './services/users.js';

/** Who the audit log names for changes made here. */
export const CLI_ACTOR = 'cli';

export interface Output {
  write(chunk: string): unknown;
}

export interface CliIo {
  /** Settings, as the server reads them (src/env.ts). */
  env: ServerEnv;
  stdout: Output;
  /** Progress notes and errors; default: nowhere. */
  stderr?: Output;
  /** Epoch milliseconds; default Date.now. */
  clock?: () => number;
}

/** Exit statuses: 0 done, 1 failed (not found, database unavailable, …), 2 bad usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose --help to point at. */
    readonly command?: string,
  ) {
    super(message);
  }
}

type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

interface RunContext {
  io: CliIo;
  values: Values;
  positionals: string[];
  /** Opens the database (once), reporting progress on stderr; closed by runCli. */
  db(): Promise<Database>;
  now(): Date;
  json: boolean;
  print(text: string): void;
}

interface Command {
  /** `orgs create` */
  name: string;
  summary: string;
  usage: string;
  /** Option lines of --help. */
  details: string;
  options: NonNullable<ParseArgsConfig['options']>;
  /** Positional argument names (required). */
  args: string[];
  run(ctx: RunContext): Promise<void>;
}

const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const PERMISSION_LIST = PERMISSIONS.join(', ');

// ---------------------------------------------------------------------------------------------
// Argument checks (before the database is opened: opening an embedded one can take minutes)

function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

function required(values: Values, name: string, command: string): string {
  const v = str(values, name);
  if (v === undefined) throw new UsageError(`missing --${name}`, command);
  return v;
}

function nameArg(values: Values, command: string, max: number): string {
  const name = required(values, 'name', command);
  if (!ident(max).safeParse(name).success) {
    throw new UsageError(`--name must be 1–${max} characters without control characters`, command);
  }
  return name;
}

function centsArg(values: Values, name: string, command: string): number | undefined {
  const v = str(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
    throw new UsageError(
      `--${name} must be a whole number of cents (0 or more), not "${v}"`,
      command,
    );
  }
  return n;
}

function permissionsArg(values: Values, command: string): string[] {
  const raw = required(values, 'permissions', command);
  const list = raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (list.length === 0) {
    throw new UsageError(`--permissions needs at least one of: ${PERMISSION_LIST}`, command);
  }
  const known: readonly string[] = PERMISSIONS;
  const unknown = list.filter((p) => !known.includes(p));
  if (unknown.length > 0) {
    const what = unknown.map((p) => `"${p}"`).join(', ');
    throw new UsageError(
      `unknown permission${unknown.length > 1 ? 's' : ''} ${what}; valid: ${PERMISSION_LIST}`,
      command,
    );
  }
  return [...new Set(list)];
}

/** `--url`, default http://127.0.0.1:<PORT>: where the printed sign-in links point. */
function baseUrl(ctx: RunContext, command: string): string {
  const raw = str(ctx.values, 'url') ?? `http://127.0.0.1:${String(ctx.io.env.PORT)}`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url "${raw}" is not a URL (e.g. https://reins.example.com)`, command);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url must be http(s), not "${raw}"`, command);
  }
  return raw.replace(/\/+$/, '');
}

/** `--org`, or the only organization there is. */
async function orgOf(em: EntityManager, values: Values, command: string): Promise<string> {
  const orgId = str(values, 'org');
  if (orgId !== undefined) return (await requireOrganization(em, orgId)).id;
  const orgs = await listOrganizations(em);
  if (orgs.length === 1 && orgs[0]) return orgs[0].id;
  throw new UsageError(
    orgs.length === 0
      ? 'there is no organization yet (start the server once, or `orgs create`)'
      : `there are ${String(orgs.length)} organizations: name one with --org (see \`orgs list\`)`,
    command,
  );
}

// ---------------------------------------------------------------------------------------------
// Output

function table(rows: string[][], header: string[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** An organization's budgets as `daily=2500 monthly=500000` ('-' when none). */
function budgets(o: OrgView): string {
  const set = BUDGET_PERIODS.flatMap((p) => {
    const cents = o[`${p}BudgetCents`];
    return cents === null ? [] : [`${p}=${String(cents)}`];
  });
  return set.length === 0 ? '-' : set.join(' ');
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// Commands

const BUDGET_PERIODS = ['hourly', 'daily', 'weekly', 'monthly'] as const;

/** The options of `orgs create` and `orgs update`: an organization's settings. */
const ORG_SETTING_OPTIONS: Command['options'] = {
  name: { type: 'string' },
  'time-zone': { type: 'string' },
  'default-action': { type: 'string' },
  ...Object.fromEntries(BUDGET_PERIODS.map((p) => [`${p}-budget-cents`, { type: 'string' }])),
};

const commands: Command[] = [
  {
    name: 'migrate',
    summary: 'Apply pending database migrations and list them',
    usage: 'migrate',
    details: '',
    options: {},
    args: [],
    async run(ctx) {
      // Opening the database applies pending migrations (as the server does on start), and
      // shifts the audit events' ids past a restored history's (@reins/db xidShift.ts).
      const db = await ctx.db();
      const applied = db.migrations ?? [];
      const shift = db.xidShift ?? null;
      if (ctx.json) {
        const xidShift = shift && { from: String(shift.from), to: String(shift.to) };
        ctx.print(json({ applied, xidShift }));
        return;
      }
      ctx.print(
        applied.length === 0
          ? 'The database schema is up to date.\n'
          : `Applied ${applied.length} migration${applied.length > 1 ? 's' : ''}:\n` +
              applied.map((m) => `  ${m}\n`).join(''),
      );
      if (shift) {
        ctx.print(
          `Audit event ids were behind the stored ones (a restore into another cluster?): ` +
            `new ids are shifted by ${String(shift.to)} (was ${String(shift.from)}).\n`,
        );
      }
    },
  },
  {
    name: 'orgs create',
    summary: 'Create an organization and its admin API key (printed once)',
    usage:
      'orgs create --name <name> [--time-zone <IANA zone>] [--default-action pass|block]\n' +
      '                  [--monthly-budget-cents <n>] [--weekly-budget-cents <n>]\n' +
      '                  [--daily-budget-cents <n>] [--hourly-budget-cents <n>]',
    details: [
      '  --name <name>                 the organization name (1–200 characters)',
      '  --time-zone <zone>            IANA time zone of its calendar windows (default UTC)',
      '  --default-action pass|block   when no rule matches (default pass)',
      '  --<period>-budget-cents <n>   a spending cap per hour/day/week/month, in cents',
    ].join('\n'),
    options: ORG_SETTING_OPTIONS,
    args: [],
    async run(ctx) {
      const cmd = 'orgs create';
      const name = nameArg(ctx.values, cmd, 200);
      const timeZone = str(ctx.values, 'time-zone') ?? 'UTC';
      if (!isValidTimeZone(timeZone)) {
        throw new UsageError(
          `--time-zone "${timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`,
          cmd,
        );
      }
      const defaultAction = str(ctx.values, 'default-action') ?? 'pass';
      if (defaultAction !== 'pass' && defaultAction !== 'block') {
        throw new UsageError(`--default-action must be pass or block, not "${defaultAction}"`, cmd);
      }
      const [hourly, daily, weekly, monthly] = BUDGET_PERIODS.map((p) =>
        centsArg(ctx.values, `${p}-budget-cents`, cmd),
      );
      const db = await ctx.db();
      const created = await createOrganization(
        db.orm.em.fork(),
        {
          name,
          timeZone,
          defaultAction,
          hourlyBudgetCents: hourly ?? null,
          dailyBudgetCents: daily ?? null,
          weeklyBudgetCents: weekly ?? null,
          monthlyBudgetCents: monthly ?? null,
        },
        { keyEnv: ctx.io.env.REINS_KEY_ENV, actor: CLI_ACTOR, now: ctx.now() },
      );
      if (ctx.json) {
        ctx.print(json({ orgId: created.orgId, name, key: created.key }));
        return;
      }
      ctx.print(
        `Created organization ${created.orgId} ("${name}").\n` +
          `Its admin API key (${created.key.id}, permissions *), shown only this once:\n\n` +
          `  ${created.key.key}\n\n`,
      );
    },
  },
  {
    name: 'orgs update',
    summary: "Change an organization's name, time zone, default action or budgets",
    usage:
      'orgs update <orgId> [--name <name>] [--time-zone <IANA zone>] [--default-action pass|block]\n' +
      '                  [--<period>-budget-cents <n>|none]',
    details: [
      '  --name <name>                 the organization name (1–200 characters)',
      '  --time-zone <zone>            IANA time zone of its calendar windows',
      '  --default-action pass|block   when no rule matches',
      '  --<period>-budget-cents <n>   hourly/daily/weekly/monthly budget in cents; none removes it',
      '',
      'The same change as PUT /api/org: audited, seen by running servers on their next batch.',
    ].join('\n'),
    options: ORG_SETTING_OPTIONS,
    args: ['orgId'],
    async run(ctx) {
      const cmd = 'orgs update';
      const [orgId = ''] = ctx.positionals;
      const patch: Record<string, unknown> = {};
      const option: Record<string, string> = {};
      const take = (flag: string, field: string, value: unknown) => {
        if (value === undefined) return;
        patch[field] = value;
        option[field] = `--${flag}`;
      };
      take('name', 'name', str(ctx.values, 'name'));
      take('time-zone', 'timeZone', str(ctx.values, 'time-zone'));
      take('default-action', 'defaultAction', str(ctx.values, 'default-action'));
      for (const p of BUDGET_PERIODS) {
        const flag = `${p}-budget-cents`;
        const raw = str(ctx.values, flag);
        take(flag, `${p}BudgetCents`, raw === 'none' ? null : centsArg(ctx.values, flag, cmd));
      }
      if (Object.keys(patch).length === 0) {
        throw new UsageError('name at least one setting to change', cmd);
      }
      const parsed = updateOrgInput.safeParse(patch);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = String(issue?.path[0] ?? '');
        throw new UsageError(`${option[field] ?? field}: ${issue?.message ?? 'invalid'}`, cmd);
      }
      const db = await ctx.db();
      const org = await applyOrgUpdate(db.orm.em.fork(), orgId, parsed.data, {
        actor: CLI_ACTOR,
        nowMs: ctx.now().getTime(),
      });
      if (ctx.json) {
        ctx.print(json({ org }));
        return;
      }
      ctx.print(
        `Organization ${org.id} ("${org.name}"): time zone ${org.timeZone}, default ${org.defaultAction}, ` +
          `budgets (cents) ${budgets(org)}, policy version ${String(org.policyVersion)}.\n`,
      );
    },
  },
  {
    name: 'orgs list',
    summary: 'List organizations',
    usage: 'orgs list',
    details: '',
    options: {},
    args: [],
    async run(ctx) {
      const db = await ctx.db();
      const orgs = (await listOrganizations(db.orm.em.fork())).map(orgView);
      if (ctx.json) {
        ctx.print(json({ organizations: orgs }));
        return;
      }
      if (orgs.length === 0) {
        ctx.print('No organizations.\n');
        return;
      }
      ctx.print(
        table(
          orgs.map((o) => [o.id, o.name, o.timeZone, o.defaultAction, budgets(o), o.createdAt]),
          ['ID', 'NAME', 'TIME ZONE', 'DEFAULT', 'BUDGETS (CENTS)', 'CREATED'],
        ),
      );
    },
  },
  {
    name: 'keys create',
    summary: 'Create an API key for an organization (printed once)',
    usage: 'keys create --org <orgId> --name <name> --permissions <p1,p2,…>',
    details: [
      '  --org <orgId>                 the organization (see `orgs list`)',
      '  --name <name>                 a label for the key (1–100 characters)',
      `  --permissions <list>          comma-separated, from: ${PERMISSION_LIST}`,
    ].join('\n'),
    options: {
      org: { type: 'string' },
      name: { type: 'string' },
      permissions: { type: 'string' },
    },
    args: [],
    async run(ctx) {
      const cmd = 'keys create';
      const orgId = required(ctx.values, 'org', cmd);
      const name = nameArg(ctx.values, cmd, 100);
      const permissions = permissionsArg(ctx.values, cmd);
      // The HTTP API's own checks, so the two cannot drift apart.
      const input = parseInput(createKeyInput, { name, permissions });
      const db = await ctx.db();
      const em = db.orm.em.fork();
      await requireOrganization(em, orgId);
      const created = await issueKey(
        em,
        orgId,
        { name: input.name, permissions: input.permissions, env: ctx.io.env.REINS_KEY_ENV },
        { actor: CLI_ACTOR, now: ctx.now() },
      );
      if (ctx.json) {
        ctx.print(json({ orgId, ...created }));
        return;
      }
      ctx.print(
        `Created API key ${created.id} ("${created.name}") for ${orgId}, ` +
          `permissions ${created.permissions.join(', ')}. Shown only this once:\n\n` +
          `  ${created.key}\n\n`,
      );
    },
  },
  {
    name: 'keys revoke',
    summary: 'Revoke an API key',
    usage: 'keys revoke <keyId> [--org <orgId>]',
    details: [
      '  --org <orgId>                 only if the key belongs to this organization',
      '',
      'A running server trusts a key it has verified for REINS_KEY_CACHE_MS (default 2 s):',
      'a key revoked here stops working there within that time.',
    ].join('\n'),
    options: { org: { type: 'string' } },
    args: ['keyId'],
    async run(ctx) {
      const [keyId = ''] = ctx.positionals;
      const orgId = str(ctx.values, 'org');
      const now = ctx.now();
      const db = await ctx.db();
      const row = await revokeKeyById(db.orm.em.fork(), keyId, { orgId, actor: CLI_ACTOR, now });
      const revokedAt = (row.revokedAt ?? now).toISOString();
      // revokeKeyById leaves an earlier revocation as it was.
      const already = row.revokedAt ? row.revokedAt.getTime() !== now.getTime() : false;
      if (ctx.json) {
        ctx.print(json({ id: row.id, orgId: row.orgId, isActive: false, revokedAt }));
        return;
      }
      ctx.print(
        already
          ? `API key ${row.id} ("${row.name}", ${row.keyMasked}) was already revoked at ${revokedAt}.\n`
          : `Revoked API key ${row.id} ("${row.name}", ${row.keyMasked}) of ${row.orgId}.\n`,
      );
    },
  },
  {
    name: 'keys list',
    summary: "List an organization's API keys (masked)",
    usage: 'keys list --org <orgId>',
    details: '  --org <orgId>                 the organization (see `orgs list`)',
    options: { org: { type: 'string' } },
    args: [],
    async run(ctx) {
      const orgId = required(ctx.values, 'org', 'keys list');
      const db = await ctx.db();
      const em = db.orm.em.fork();
      await requireOrganization(em, orgId);
      const keys = (await findKeys(em, orgId)).map(keyView);
      if (ctx.json) {
        ctx.print(json({ orgId, keys }));
        return;
      }
      if (keys.length === 0) {
        ctx.print(`${orgId} has no API keys.\n`);
        return;
      }
      ctx.print(
        table(
          keys.map((k) => [
            k.id,
            k.name,
            k.keyMasked,
            k.permissions.join(','),
            k.revokedAt ? `revoked ${k.revokedAt}` : 'active',
            k.createdAt,
            k.lastUsedAt ?? '-',
          ]),
          ['ID', 'NAME', 'KEY', 'PERMISSIONS', 'STATUS', 'CREATED', 'LAST USED'],
        ),
      );
    },
  },
  {
    name: 'users create',
    summary: 'Create a dashboard user and print their one-time sign-in link',
    usage:
      'users create --email <email> --role admin|editor|viewer [--name <name>]\n' +
      '                  [--org <orgId>] [--url <base>]',
    details: [
      '  --email <email>               the address they sign in with (unique, any case)',
      `  --role <role>                 ${ROLES.join(', ')}`,
      '  --name <name>                 their name (1–200 characters)',
      '  --org <orgId>                 the organization (default: the only one)',
      '  --url <base>                  the dashboard address the link starts with',
      '                                (default http://127.0.0.1:<PORT>)',
      '',
      'The link is valid for REINS_SIGN_IN_LINK_TTL_MS (default 24 h) and works once: the user',
      'chooses their password there.',
    ].join('\n'),
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      org: { type: 'string' },
      url: { type: 'string' },
    },
    args: [],
    async run(ctx) {
      const cmd = 'users create';
      const base = baseUrl(ctx, cmd);
      const parsed = createUserInput.safeParse({
        email: required(ctx.values, 'email', cmd),
        role: required(ctx.values, 'role', cmd),
        name: str(ctx.values, 'name'),
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new UsageError(
          `--${String(issue?.path[0] ?? 'email')}: ${issue?.message ?? 'invalid'}`,
          cmd,
        );
      }
      const db = await ctx.db();
      const em = db.orm.em.fork();
      const orgId = await orgOf(em, ctx.values, cmd);
      const { user, token } = await createUserWithLink(em, orgId, parsed.data, {
        actor: CLI_ACTOR,
        now: ctx.now(),
        ttlMs: ctx.io.env.REINS_SIGN_IN_LINK_TTL_MS,
      });
      const signInLink = `${base}${signInLinkPath(token)}`;
      if (ctx.json) {
        ctx.print(json({ orgId, user, signInLink }));
        return;
      }
      ctx.print(
        `Created ${user.role} ${user.email} (${user.id}) in ${orgId}.\n` +
          `Their one-time sign-in link (shown only this once):\n\n  ${signInLink}\n\n`,
      );
    },
  },
  {
    name: 'users reset-password',
    summary: "End a user's sessions and password; print a one-time sign-in link",
    usage: 'users reset-password --email <email> [--url <base>]',
    details: [
      '  --email <email>               the user',
      '  --url <base>                  the dashboard address the link starts with',
      '                                (default http://127.0.0.1:<PORT>)',
      '',
      'Their password stops working and their sessions end (on a running server within',
      'REINS_SESSION_CACHE_MS); they choose a new password through the link.',
    ].join('\n'),
    options: { email: { type: 'string' }, url: { type: 'string' } },
    args: [],
    async run(ctx) {
      const cmd = 'users reset-password';
      const base = baseUrl(ctx, cmd);
      const email = required(ctx.values, 'email', cmd);
      const db = await ctx.db();
      const em = db.orm.em.fork();
      const found = await findUserByEmail(em, email);
      if (!found) throw new NotFound('User', email);
      const { user, token } = await resetPasswordById(em, found.id, {
        orgId: found.orgId,
        actor: CLI_ACTOR,
        now: ctx.now(),
        ttlMs: ctx.io.env.REINS_SIGN_IN_LINK_TTL_MS,
      });
      const signInLink = `${base}${signInLinkPath(token)}`;
      if (ctx.json) {
        ctx.print(json({ user, signInLink }));
        return;
      }
      ctx.print(
        `Reset the password of ${user.email} (${user.id}); their sessions have ended.\n` +
          `Their one-time sign-in link (shown only this once):\n\n  ${signInLink}\n\n`,
      );
    },
  },
  {
    name: 'users list',
    summary: 'List dashboard users',
    usage: 'users list [--org <orgId>]',
    details: '  --org <orgId>                 only this organization (default: all)',
    options: { org: { type: 'string' } },
    args: [],
    async run(ctx) {
      const orgId = str(ctx.values, 'org');
      const db = await ctx.db();
      const em = db.orm.em.fork();
      const orgs =
        orgId === undefined ? await listOrganizations(em) : [await requireOrganization(em, orgId)];
      const users = [];
      for (const o of orgs) {
        for (const u of await findUsers(em, o.id)) users.push({ orgId: o.id, ...userView(u) });
      }
      if (ctx.json) {
        ctx.print(json({ users }));
        return;
      }
      if (users.length === 0) {
        ctx.print('No users.\n');
        return;
      }
      ctx.print(
        table(
          users.map((u) => [
            u.id,
            u.orgId,
            u.email,
            u.name ?? '-',
            u.role,
            u.disabled ? 'disabled' : 'active',
            u.createdAt,
            u.lastSignInAt ?? '-',
          ]),
          ['ID', 'ORG', 'EMAIL', 'NAME', 'ROLE', 'STATUS', 'CREATED', 'LAST SIGN-IN'],
        ),
      );
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Help

const PROGRAM = 'pnpm reins';

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Reins administration.

Usage: ${PROGRAM} <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}   ${c.summary}`).join('\n')}

Options for every command:
  --json      machine-readable output on stdout
  -h, --help  help for the command

The database is the server's: DATABASE_URL (PostgreSQL) if set, otherwise the embedded
database in REINS_DATA_DIR (default ./.reins, relative to apps/server). Pending migrations are
applied first, as the server does on start.

An embedded database can be open in only one process at a time: stop the server (pnpm start)
before running these commands against it, or use the server's HTTP API instead. With
DATABASE_URL, the CLI and any number of servers can run together.

Exit status: 0 done, 1 failed (e.g. not found, database in use), 2 bad usage.
`;
}

function commandHelp(c: Command): string {
  return (
    `${c.summary}.\n\nUsage: ${PROGRAM} ${c.usage} [--json]\n` +
    (c.details ? `\n${c.details}\n` : '') +
    `\nSee \`${PROGRAM} --help\` for the database it uses.\n`
  );
}

// ---------------------------------------------------------------------------------------------
// The program

function findCommand(words: string[]): { command: Command; rest: string[] } | undefined {
  for (const command of commands) {
    const parts = command.name.split(' ');
    if (parts.every((p, i) => words[i] === p)) return { command, rest: words.slice(parts.length) };
  }
  return undefined;
}

function parse(command: Command, rest: string[]): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: rest,
      options: { ...COMMON_OPTIONS, ...command.options },
      strict: true,
      allowPositionals: true,
    });
    return { values: parsed.values, positionals: parsed.positionals };
  } catch (error) {
    // node:util's messages ("Unknown option '--x'") are good; the stack is not.
    throw new UsageError(error instanceof Error ? error.message : String(error), command.name);
  }
}

/** Runs one command; returns the exit status. Never throws for usage or domain errors. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const stderr = io.stderr ?? { write: () => true };
  const opened: { db?: Database } = {};
  let code = await runCommand(argv[0] === '--' ? argv.slice(1) : [...argv], io, stderr, opened);
  if (opened.db) {
    try {
      await opened.db.close();
    } catch (error) {
      stderr.write(`reins: closing the database failed: ${message(error)}\n`);
      code = EXIT.failed;
    }
  }
  return code;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runCommand(
  args: string[],
  io: CliIo,
  stderr: Output,
  opened: { db?: Database },
): Promise<number> {
  let commandName: string | undefined;
  try {
    if (args.length === 0) {
      stderr.write(mainHelp());
      return EXIT.usage;
    }
    if (['help', '--help', '-h'].includes(args[0] ?? '')) {
      const topic = args[0] === 'help' ? findCommand(args.slice(1)) : undefined;
      io.stdout.write(topic ? commandHelp(topic.command) : mainHelp());
      return EXIT.ok;
    }
    const found = findCommand(args);
    if (!found) {
      const words = args.filter((a) => !a.startsWith('-'));
      const group = commands.filter((c) => c.name.startsWith(`${words[0] ?? ''} `));
      const names = group.map((c) => `"${c.name}"`).join(', ');
      throw new UsageError(
        group.length > 0
          ? `unknown command "${words.slice(0, 2).join(' ')}"; try ${names}`
          : `unknown command "${words[0] ?? args[0] ?? ''}"`,
      );
    }
    const { command, rest } = found;
    commandName = command.name;
    const { values, positionals } = parse(command, rest);
    if (values.help === true) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    if (positionals.length !== command.args.length) {
      const expected = command.args.map((a) => `<${a}>`).join(' ') || 'no arguments';
      throw new UsageError(
        positionals.length < command.args.length
          ? `missing ${expected}`
          : `unexpected argument "${positionals[command.args.length] ?? ''}" (expects ${expected})`,
        command.name,
      );
    }
    const clock = io.clock ?? Date.now;
    await command.run({
      io,
      values,
      positionals,
      json: values.json === true,
      now: () => new Date(clock()),
      print: (text) => void io.stdout.write(text),
      async db() {
        if (opened.db) return opened.db;
        if (!io.env.DATABASE_URL) {
          stderr.write(
            `Opening the embedded database in ${resolve(io.env.REINS_DATA_DIR, 'pgdata')} ` +
              '(this can take a few minutes on a busy machine) …\n',
          );
        }
        opened.db = await openServerDatabase(io.env, `cli ${command.name}`);
        return opened.db;
      },
    });
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      const cmd = error.command ?? commandName;
      stderr.write(
        `reins: ${error.message}\nRun \`${PROGRAM} ${cmd ? `${cmd} ` : ''}--help\` for usage.\n`,
      );
      return EXIT.usage;
    }
    stderr.write(`reins: ${message(error)}\n`);
    // Bad values the shared schemas caught are usage errors too; the rest (not found, database
    // in use or unreachable) are failures.
    return error instanceof ValidationError ? EXIT.usage : EXIT.failed;
  }
}

async function main(): Promise<number> {
  let env: ServerEnv;
  try {
    env = readEnv();
  } catch (error) {
    process.stderr.write(`reins: ${message(error)}\n`);
    return EXIT.usage;
  }
  return runCli(process.argv.slice(2), { env, stdout: process.stdout, stderr: process.stderr });
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  process.exitCode = await main();
}

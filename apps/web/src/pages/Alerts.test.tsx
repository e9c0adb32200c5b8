import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RouterOutputs } from '../lib/trpc.js';
import { ADMIN_SESSION, renderWith } from '../test/render.js';
import { Refusal, serveTrpc, type Call } from '../test/trpc.js';
import { AlertsPage } from './Alerts.js';

type Alert = RouterOutputs['alerts']['list']['alerts'][number];
type Channel = RouterOutputs['notificationChannels']['list']['channels'][number];
type Delivery = RouterOutputs['notificationChannels']['deliveries']['deliveries'][number];

const alert = (over: Partial<Alert>): Alert => ({
  id: 'alrt_1',
  ruleId: 'rule_1',
  ruleName: 'Daily cap',
  action: 'notify',
  message: 'Spend passed 80% of the daily cap',
  transactionId: 'txn_1',
  agentId: null,
  groupValue: null,
  timeWindow: 'daily',
  windowStart: null,
  thresholdPct: 80,
  limit: 10_000,
  current: 8_100,
  unit: 'cents',
  read: false,
  readAt: null,
  createdAt: '2026-12-03T10:00:00.000Z',
  deliveries: [],
  ...over,
});

const HOOK: Channel = {
  id: 'chan_1',
  name: 'Ops hook',
  enabled: true,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
  type: 'webhook',
  url: 'https://hooks.example.com/reins',
  secretMasked: '****wxyz',
};
const MAIL: Channel = {
  id: 'chan_2',
  name: 'Ops mail',
  enabled: false,
  createdAt: '2026-12-02T10:00:00.000Z',
  updatedAt: '2026-12-02T10:00:00.000Z',
  type: 'email',
  addresses: ['ops@example.com'],
};

const UNREAD = [
  alert({ id: 'alrt_3', message: 'Newest, unread', createdAt: '2026-12-03T12:00:00.000Z' }),
  alert({
    id: 'alrt_1',
    message: 'Older, unread',
    deliveries: [
      {
        id: 'ntf_1',
        channelId: 'chan_1',
        status: 'failed',
        attempts: 8,
        lastError: 'HTTP 500',
        deliveredAt: null,
        nextAttemptAt: null,
      },
    ],
  }),
];
const READ = [
  alert({
    id: 'alrt_2',
    message: 'Between, read',
    read: true,
    readAt: '2026-12-03T11:30:00.000Z',
    createdAt: '2026-12-03T11:00:00.000Z',
  }),
];

const list = (alerts: Alert[]) => ({ alerts, count: alerts.length, total: alerts.length });

/** The fake server's answers: the reads, with `more` answering (or refusing) anything else. */
function answers(
  opts: {
    unread?: Alert[];
    read?: Alert[];
    channels?: Channel[];
    deliveries?: () => Delivery[];
    more?: (path: string, input: unknown) => unknown;
  } = {},
) {
  return (path: string, input: unknown): unknown => {
    if (path === 'alerts.list') {
      return list(
        (input as { read: boolean }).read ? (opts.read ?? READ) : (opts.unread ?? UNREAD),
      );
    }
    if (path === 'notificationChannels.list') {
      const channels = opts.channels ?? [HOOK, MAIL];
      return { channels, count: channels.length };
    }
    if (path === 'notificationChannels.deliveries') {
      return { deliveries: opts.deliveries?.() ?? [] };
    }
    if (opts.more) return opts.more(path, input);
    throw new Refusal(500, `unexpected ${path}`);
  };
}

const READS = ['alerts.list', 'notificationChannels.list', 'notificationChannels.deliveries'];
const writes = (calls: Call[]) => calls.filter((c) => !READS.includes(c.path));

const VIEWER = {
  status: 'signed-in' as const,
  session: { ...ADMIN_SESSION, permissions: ['alerts:read'] },
};

const confirm = vi.fn((_message?: string) => true);

beforeEach(() => {
  confirm.mockReset().mockReturnValue(true);
  vi.stubGlobal('confirm', confirm);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const channelsTable = () => screen.getByRole('table', { name: 'Notification channels' });
const rowOf = (table: HTMLElement, text: string) => {
  const row = within(table).getByText(text).closest('tr');
  if (!row) throw new Error(`no row for ${text}`);
  return row;
};

describe('alerts', () => {
  it('lists unread alerts before read ones, counts them, and says where each was sent', async () => {
    serveTrpc(answers());
    renderWith(<AlertsPage />);
    expect(await screen.findByRole('heading', { name: 'Unread (2)' })).toBeTruthy();
    const read = await screen.findByText('Between, read');
    const messages = screen
      .getAllByRole('table', { name: /alerts, newest first$/ })
      .flatMap((table) => [...table.querySelectorAll('tbody td:nth-child(3)')])
      .map((td) => td.textContent);
    // Unread first (newest first within), although the read alert is newer than one of them.
    expect(messages).toEqual(['Newest, unread', 'Older, unread', 'Between, read']);
    expect(read.closest('tr')?.textContent).toContain('Read');

    const unread = screen.getByRole('table', { name: 'Unread alerts, newest first' });
    const failed = rowOf(unread, 'Older, unread');
    // The delivery names its channel (from the channel list) and how it went.
    await waitFor(() => {
      expect(failed.textContent).toContain('Ops hook Failed 8 attempts: HTTP 500');
    });
  });

  it('marks one alert read, then every listed unread alert at once', async () => {
    const { calls } = serveTrpc(
      answers({ more: (_path, input) => ({ id: (input as { id: string }).id, read: true }) }),
    );
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    await user.click(await screen.findByRole('button', { name: 'Mark read: Older, unread' }));
    await waitFor(() => {
      expect(writes(calls)).toEqual([{ path: 'alerts.markRead', input: { id: 'alrt_1' } }]);
    });
    await waitFor(() => {
      expect(screen.getByRole('button', { name: 'Mark all read' })).toHaveProperty(
        'disabled',
        false,
      );
    });
    await user.click(screen.getByRole('button', { name: 'Mark all read' }));
    await waitFor(() => {
      expect(writes(calls).slice(1)).toEqual([
        { path: 'alerts.markRead', input: { id: 'alrt_3' } },
        { path: 'alerts.markRead', input: { id: 'alrt_1' } },
      ]);
    });
  });

  it('shows a failed mark-read where it was asked', async () => {
    serveTrpc(
      answers({
        more: () => {
          throw new Refusal(404, 'Policy alert alrt_3 not found');
        },
      }),
    );
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    await user.click(await screen.findByRole('button', { name: 'Mark read: Newest, unread' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Policy alert alrt_3 not found');
  });
});

describe('notification channels', () => {
  it('lists the channels with their destination, a webhook secret only masked', async () => {
    serveTrpc(answers());
    renderWith(<AlertsPage />);
    await screen.findByRole('table', { name: 'Notification channels' });
    const hook = rowOf(channelsTable(), 'Ops hook');
    expect(hook.textContent).toContain('https://hooks.example.com/reins');
    expect(hook.textContent).toContain('Signing secret ****wxyz');
    expect(hook.textContent).toContain('Enabled');
    const mail = rowOf(channelsTable(), 'Ops mail');
    expect(mail.textContent).toContain('ops@example.com');
    expect(mail.textContent).toContain('Disabled');
  });

  it('checks a webhook URL as it is typed, sends nothing while it is wrong, then creates it', async () => {
    const created: Channel = {
      ...HOOK,
      id: 'chan_3',
      name: 'Billing hook',
      url: 'https://billing.example.com/hook',
      secret: 'generated-secret-abcdefghijklmnop',
      secretMasked: '****mnop',
    };
    const { calls } = serveTrpc(answers({ more: () => ({ channel: created }) }));
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    const form = await screen.findByRole('form', { name: 'New channel' });
    await user.type(within(form).getByLabelText('Name'), 'Billing hook');
    const url = within(form).getByLabelText('URL');
    await user.type(url, 'ftp://billing.example.com/hook');
    // Shown while typing, before any submit, and tied to the input.
    expect(within(form).getByText('Must be an http:// or https:// URL')).toBeTruthy();
    expect(url.getAttribute('aria-invalid')).toBe('true');
    await user.click(within(form).getByRole('button', { name: 'Create channel' }));
    await user.clear(url);
    await user.type(url, 'https://user:pw@billing.example.com/hook');
    expect(within(form).getByText('Must not contain credentials (user:password@)')).toBeTruthy();
    await user.click(within(form).getByRole('button', { name: 'Create channel' }));
    expect(writes(calls)).toEqual([]);

    await user.clear(url);
    await user.type(url, 'https://billing.example.com/hook');
    expect(url.getAttribute('aria-invalid')).toBeNull();
    await user.click(within(form).getByRole('button', { name: 'Create channel' }));

    const panel = await screen.findByRole('region', { name: 'Channel “Billing hook” created' });
    expect(writes(calls)).toEqual([
      {
        path: 'notificationChannels.create',
        input: {
          name: 'Billing hook',
          enabled: true,
          type: 'webhook',
          url: 'https://billing.example.com/hook',
        },
      },
    ]);
    // The secret the server generated is shown this once, to copy.
    expect(within(panel).getByText('generated-secret-abcdefghijklmnop')).toBeTruthy();
    await user.click(within(panel).getByRole('button', { name: 'Copy' }));
    expect(await navigator.clipboard.readText()).toBe('generated-secret-abcdefghijklmnop');
    await user.click(within(panel).getByRole('button', { name: 'Done' }));
    expect(screen.queryByText('generated-secret-abcdefghijklmnop')).toBeNull();
  });

  it('creates an email channel from a list of addresses, refusing a malformed one', async () => {
    const { calls } = serveTrpc(
      answers({ more: () => ({ channel: { ...MAIL, id: 'chan_4', name: 'Finance' } }) }),
    );
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    const form = await screen.findByRole('form', { name: 'New channel' });
    await user.type(within(form).getByLabelText('Name'), 'Finance');
    await user.selectOptions(within(form).getByLabelText('Type'), 'email');
    expect(within(form).queryByLabelText('URL')).toBeNull();
    const addresses = within(form).getByLabelText('Addresses');
    await user.type(addresses, 'cfo@example.com, finance@localhost');
    expect(within(form).getByText('Not a valid email address: “finance@localhost”')).toBeTruthy();
    await user.click(within(form).getByLabelText('Enabled (deliver notifications to it)'));
    await user.click(within(form).getByRole('button', { name: 'Create channel' }));
    expect(writes(calls)).toEqual([]);

    await user.clear(addresses);
    await user.type(addresses, 'cfo@example.com, finance@example.com cfo@example.com');
    await user.click(within(form).getByRole('button', { name: 'Create channel' }));
    await screen.findByRole('region', { name: 'Channel “Finance” created' });
    expect(writes(calls)).toEqual([
      {
        path: 'notificationChannels.create',
        input: {
          name: 'Finance',
          enabled: false,
          type: 'email',
          addresses: ['cfo@example.com', 'finance@example.com'],
        },
      },
    ]);
  });

  it('sends a test, then shows the channel’s deliveries, following a pending one until it is delivered', async () => {
    const pending: Delivery = {
      id: 'ntf_9',
      channelId: 'chan_1',
      status: 'pending',
      attempts: 1,
      lastError: 'connect ECONNREFUSED',
      deliveredAt: null,
      nextAttemptAt: '2026-12-03T12:00:05.000Z',
      alertId: null,
      test: true,
    };
    let sent = false;
    let asked = 0;
    const { calls } = serveTrpc(
      answers({
        deliveries: () => {
          if (!sent) return [];
          asked += 1;
          return asked === 1
            ? [pending]
            : [
                {
                  ...pending,
                  status: 'delivered',
                  attempts: 2,
                  deliveredAt: '2026-12-03T12:00:06.000Z',
                  nextAttemptAt: null,
                },
              ];
        },
        more: (path) => {
          sent = true;
          if (path !== 'notificationChannels.test') throw new Refusal(500, path);
          return { delivery: pending };
        },
      }),
    );
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    await screen.findByRole('table', { name: 'Notification channels' });
    await user.click(
      within(rowOf(channelsTable(), 'Ops hook')).getByRole('button', {
        name: 'Send test to Ops hook',
      }),
    );
    expect(writes(calls)).toEqual([{ path: 'notificationChannels.test', input: { id: 'chan_1' } }]);
    expect(
      await screen.findByText('Test queued for “Ops hook”: its delivery is below.'),
    ).toBeTruthy();
    const deliveries = await screen.findByRole('table', {
      name: 'The latest deliveries to Ops hook',
    });
    const row = await within(deliveries).findByText('ntf_9');
    const tr = row.closest('tr');
    if (!tr) throw new Error('no row');
    expect(tr.textContent).toContain('Pending');
    expect(tr.textContent).toContain('connect ECONNREFUSED');
    expect(tr.querySelector('td.num')?.textContent).toBe('1');
    await waitFor(
      () => {
        expect(tr.textContent).toContain('Delivered');
      },
      { timeout: 4000 },
    );
    expect(tr.querySelector('td.num')?.textContent).toBe('2');
    expect(calls.filter((c) => c.path === 'notificationChannels.deliveries').at(-1)?.input).toEqual(
      { id: 'chan_1', limit: 10 },
    );
  });

  it('says plainly that a disabled channel was not tested, until it is enabled', async () => {
    const { calls } = serveTrpc(
      answers({
        more: (path) => {
          if (path === 'notificationChannels.test')
            throw new Refusal(409, 'Channel chan_2 is disabled; enable it to test it');
          return { channel: { ...MAIL, enabled: true } };
        },
      }),
    );
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    await screen.findByRole('table', { name: 'Notification channels' });
    await user.click(screen.getByRole('button', { name: 'Send test to Ops mail' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'No test sent: “Ops mail” is disabled. Enable it to send a test.',
    );
    expect(screen.queryByRole('table', { name: 'The latest deliveries to Ops mail' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Enable Ops mail' }));
    await waitFor(() => {
      expect(screen.queryByRole('alert')).toBeNull();
    });
    expect(writes(calls)).toEqual([
      { path: 'notificationChannels.test', input: { id: 'chan_2' } },
      { path: 'notificationChannels.update', input: { id: 'chan_2', patch: { enabled: true } } },
    ]);
  });

  it('enables a disabled channel, and deletes one only once confirmed', async () => {
    const { calls } = serveTrpc(answers({ more: () => ({ id: 'chan_1', deleted: true }) }));
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    await user.click(await screen.findByRole('button', { name: 'Enable Ops mail' }));
    confirm.mockReturnValueOnce(false);
    await user.click(screen.getByRole('button', { name: 'Delete Ops hook' }));
    expect(confirm).toHaveBeenCalledWith(
      'Delete the channel “Ops hook”? Its pending deliveries are dropped.',
    );
    await waitFor(() => {
      expect(writes(calls)).toHaveLength(1);
    });
    await user.click(screen.getByRole('button', { name: 'Delete Ops hook' }));
    await waitFor(() => {
      expect(writes(calls)).toEqual([
        { path: 'notificationChannels.update', input: { id: 'chan_2', patch: { enabled: true } } },
        { path: 'notificationChannels.delete', input: { id: 'chan_1' } },
      ]);
    });
  });

  it('shows why a channel could not be deleted', async () => {
    serveTrpc(
      answers({
        more: () => {
          throw new Refusal(409, 'Channel chan_1 is used by rule(s) "Daily cap" (rule_1)');
        },
      }),
    );
    const user = userEvent.setup();
    renderWith(<AlertsPage />);
    await user.click(await screen.findByRole('button', { name: 'Delete Ops hook' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Could not delete “Ops hook”: Channel chan_1 is used by rule(s) "Daily cap" (rule_1)',
    );
  });
});

describe('roles and states', () => {
  it('shows a viewer alerts, channels and deliveries, but nothing to change them with', async () => {
    const { calls } = serveTrpc(answers());
    const user = userEvent.setup();
    renderWith(<AlertsPage />, VIEWER);
    await screen.findByRole('table', { name: 'Notification channels' });
    await screen.findByText('Newest, unread');
    expect(screen.queryByRole('button', { name: /Mark/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Send test/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Delete|Enable|Disable/ })).toBeNull();
    expect(screen.queryByRole('form', { name: 'New channel' })).toBeNull();
    expect(
      rowOf(screen.getByRole('table', { name: /^Unread/ }), 'Newest, unread').textContent,
    ).toContain('Unread');
    await user.click(screen.getByRole('button', { name: 'Deliveries to Ops hook' }));
    expect(await screen.findByText('Nothing sent to this channel yet.')).toBeTruthy();
    expect(writes(calls)).toEqual([]);
  });

  it('has loading, empty and error states', async () => {
    serveTrpc(answers({ unread: [], read: [], channels: [] }));
    const { unmount } = renderWith(<AlertsPage />);
    expect(screen.getAllByRole('status')[0]?.textContent).toContain('Loading');
    expect(await screen.findByText('No unread alerts.')).toBeTruthy();
    expect(await screen.findByText('No read alerts.')).toBeTruthy();
    expect(await screen.findByText('No notification channels.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Unread (0)' })).toBeTruthy();
    unmount();

    serveTrpc((path) => {
      if (path === 'notificationChannels.list') throw new Refusal(500, 'database unavailable');
      return list([]);
    });
    renderWith(<AlertsPage />);
    const error = await screen.findByRole('alert');
    expect(error.textContent).toContain('database unavailable');
    expect(within(error).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

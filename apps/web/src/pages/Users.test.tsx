import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RouterOutputs } from '../lib/trpc.js';
import { ADMIN_SESSION, renderWith } from '../test/render.js';
import { Refusal, serveTrpc, type Call } from '../test/trpc.js';
import { UsersPage } from './Users.js';

type User = RouterOutputs['users']['list']['data'][number];

const ADMIN: User = {
  id: 'usr_1',
  email: 'admin@localhost',
  name: 'Admin',
  role: 'admin',
  disabled: false,
  createdAt: '2026-12-01T10:00:00.000Z',
  lastSignInAt: '2026-12-03T09:00:00.000Z',
};
const ANA: User = {
  id: 'usr_2',
  email: 'ana@example.com',
  name: null,
  role: 'viewer',
  disabled: false,
  createdAt: '2026-12-02T10:00:00.000Z',
  lastSignInAt: null,
};

const mutations = (calls: Call[]) => calls.filter((c) => c.path !== 'users.list');

const confirm = vi.fn((_message?: string) => true);

beforeEach(() => {
  confirm.mockReset().mockReturnValue(true);
  vi.stubGlobal('confirm', confirm);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the users page', () => {
  it('lists the users: email, name, role, status, last sign-in; no disabling oneself', async () => {
    serveTrpc(() => ({ data: [ADMIN, { ...ANA, disabled: true }] }));
    renderWith(<UsersPage />);
    const row = (await screen.findByText('ana@example.com')).closest('tr');
    if (!row) throw new Error('no row');
    const cells = [...row.querySelectorAll('td')].map((td) => td.textContent);
    expect([cells[1], cells[3], cells[4]]).toEqual(['—', 'Disabled', 'Never']);
    expect(within(row).getByLabelText<HTMLSelectElement>('Role of ana@example.com').value).toBe(
      'viewer',
    );
    expect(within(row).getByRole('button', { name: 'Enable ana@example.com' })).toBeTruthy();
    const me = screen.getByText('admin@localhost').closest('tr');
    if (!me) throw new Error('no row');
    expect(me.textContent).toContain('you');
    expect(within(me).queryByRole('button', { name: /Disable/ })).toBeNull();
    expect(
      within(me).getByRole('button', { name: 'Reset password of admin@localhost' }),
    ).toBeTruthy();
  });

  it('invites a user and shows the one-time link once, as a full URL to copy', async () => {
    const { calls } = serveTrpc((path) => {
      if (path === 'users.create') {
        return {
          user: { ...ANA, id: 'usr_3', email: 'bo@example.com', name: 'Bo', role: 'editor' },
          signInLink: '/sign-in/link#token=abc123',
        };
      }
      return { data: [ADMIN] };
    });
    const user = userEvent.setup();
    renderWith(<UsersPage />);
    await screen.findByText('admin@localhost');
    const form = screen.getByRole('form', { name: 'Invite a user' });
    await user.click(within(form).getByRole('button', { name: 'Invite' }));
    expect(within(form).getByText('Enter an email address like you@example.com')).toBeTruthy();
    expect(mutations(calls)).toEqual([]);

    await user.type(within(form).getByLabelText('Email'), ' bo@example.com ');
    await user.type(within(form).getByLabelText('Name'), 'Bo');
    await user.selectOptions(within(form).getByLabelText('Role'), 'editor');
    await user.click(within(form).getByRole('button', { name: 'Invite' }));

    const panel = await screen.findByRole('region', { name: 'bo@example.com invited' });
    expect(document.activeElement).toBe(within(panel).getByRole('heading'));
    const url = `${window.location.origin}/sign-in/link#token=abc123`;
    expect(within(panel).getByText(url)).toBeTruthy();
    expect(mutations(calls)).toEqual([
      { path: 'users.create', input: { email: 'bo@example.com', role: 'editor', name: 'Bo' } },
    ]);
    await user.click(within(panel).getByRole('button', { name: 'Copy' }));
    expect(await within(panel).findByText('Copied')).toBeTruthy();
    // user-event's clipboard stands in for the browser's.
    expect(await navigator.clipboard.readText()).toBe(url);
    // The form is ready for the next one; the link goes away for good once done.
    expect(within(form).getByLabelText<HTMLInputElement>('Email').value).toBe('');
    await user.click(within(panel).getByRole('button', { name: 'Done' }));
    expect(screen.queryByText(url)).toBeNull();
  });

  it('changes a role with the keyboard, and shows the server’s 409 for the last admin', async () => {
    const { calls } = serveTrpc((path, input) => {
      if (path === 'users.update') {
        const i = input as { id: string };
        if (i.id === 'usr_1') {
          throw new Refusal(
            409,
            'This is the last active admin of the organization: make another user admin first',
          );
        }
        return { user: { ...ANA, role: 'editor' } };
      }
      return { data: [ADMIN, ANA] };
    });
    const user = userEvent.setup();
    renderWith(<UsersPage />);
    const select = await screen.findByLabelText('Role of ana@example.com');
    select.focus();
    await user.selectOptions(select, 'editor');
    await user.click(screen.getByRole('button', { name: 'Save the role of ana@example.com' }));
    await waitFor(() => {
      expect(mutations(calls)).toEqual([
        { path: 'users.update', input: { id: 'usr_2', role: 'editor' } },
      ]);
    });

    await user.selectOptions(screen.getByLabelText('Role of admin@localhost'), 'viewer');
    await user.keyboard('{Tab}{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toBe(
      'Could not change admin@localhost: This is the last active admin of the organization: ' +
        'make another user admin first',
    );
    // The unsaved choice stays, to save again or cancel.
    await user.click(
      screen.getByRole('button', { name: 'Cancel the role change of admin@localhost' }),
    );
    expect(screen.getByLabelText<HTMLSelectElement>('Role of admin@localhost').value).toBe('admin');
  });

  it('disables after confirming, and a password reset shows a new link', async () => {
    const { calls } = serveTrpc((path) => {
      if (path === 'users.update') return { user: { ...ANA, disabled: true } };
      if (path === 'users.resetPassword') return { signInLink: '/sign-in/link#token=new456' };
      return { data: [ADMIN, ANA] };
    });
    const user = userEvent.setup();
    renderWith(<UsersPage />);
    await user.click(await screen.findByRole('button', { name: 'Disable ana@example.com' }));
    expect(confirm).toHaveBeenCalledWith('Disable ana@example.com? Their sessions end at once.');
    await user.click(screen.getByRole('button', { name: 'Reset password of ana@example.com' }));
    const panel = await screen.findByRole('region', {
      name: 'New sign-in link for ana@example.com',
    });
    expect(
      within(panel).getByText(`${window.location.origin}/sign-in/link#token=new456`),
    ).toBeTruthy();
    expect(mutations(calls)).toEqual([
      { path: 'users.update', input: { id: 'usr_2', disabled: true } },
      { path: 'users.resetPassword', input: { id: 'usr_2' } },
    ]);
  });

  it('does nothing when a disable is not confirmed', async () => {
    const { calls } = serveTrpc(() => ({ data: [ADMIN, ANA] }));
    confirm.mockReturnValue(false);
    const user = userEvent.setup();
    renderWith(<UsersPage />);
    await user.click(await screen.findByRole('button', { name: 'Disable ana@example.com' }));
    expect(mutations(calls)).toEqual([]);
  });

  it('has loading, empty and error states', async () => {
    serveTrpc(() => ({ data: [] }));
    const { unmount } = renderWith(<UsersPage />);
    expect(screen.getByRole('status').textContent).toContain('Loading');
    expect(await screen.findByText('No users yet.')).toBeTruthy();
    unmount();

    serveTrpc(() => {
      throw new Refusal(500, 'database unavailable');
    });
    renderWith(<UsersPage />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('database unavailable');
    expect(within(alert).getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('asks nothing of the server without users:admin', () => {
    const { fetch } = serveTrpc(() => ({ data: [] }));
    renderWith(<UsersPage />, {
      status: 'signed-in',
      session: { ...ADMIN_SESSION, permissions: ['policies:read'] },
    });
    expect(screen.getByText('You do not have permission to see this.')).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Invite a user' })).toBeNull();
    expect(fetch).not.toHaveBeenCalled();
  });
});

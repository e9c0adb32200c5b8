/** Dashboard users (`users:admin`): invite, change role, disable/enable, reset password. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { CopyButton } from '../components/CopyButton.js';
import { Field } from '../components/Field.js';
import { ActionError, Empty, ErrorState, QueryState } from '../components/states.js';
import { useAuth, useCan, useSession } from '../lib/auth.js';
import { formatTime } from '../lib/format.js';
import { messageOf, trpc, type RouterInputs, type RouterOutputs } from '../lib/trpc.js';

type Role = RouterInputs['users']['create']['role'];
type User = RouterOutputs['users']['list']['data'][number];

/** Every role, checked against the server's type: a new one fails to compile. */
const ROLES: Record<Role, string> = {
  admin: 'Admin — everything',
  editor: 'Editor — all but API keys, organization and users',
  viewer: 'Viewer — read only',
};
const ROLE_NAMES = Object.keys(ROLES) as Role[];

const USERS = ['users.list'] as const;

// As the server checks it (`admin@localhost` has no dot in its domain).
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** A one-time sign-in link just issued: shown once, as the full URL to send. */
interface IssuedLink {
  email: string;
  kind: 'invite' | 'reset';
  url: string;
}

export function signInUrl(path: string): string {
  return `${window.location.origin}${path}`;
}

function LinkPanel({ link, onDone }: { link: IssuedLink; onDone: () => void }) {
  const title = useRef<HTMLHeadingElement>(null);
  // The link appears above where the keyboard was: take the focus there, once per link.
  useEffect(() => {
    title.current?.focus();
  }, [link]);
  return (
    <section className="card" role="region" aria-labelledby="issued-link">
      <h2 id="issued-link" ref={title} tabIndex={-1}>
        {link.kind === 'invite' ? `${link.email} invited` : `New sign-in link for ${link.email}`}
      </h2>
      <p>
        Send this link to {link.email}: it sets their password and signs them in. It works once,
        within 24 hours, and is shown only now.
      </p>
      <div className="secret">
        <code>{link.url}</code>
        <CopyButton text={link.url} what="link" />
      </div>
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

export function InviteForm({ onInvited }: { onInvited: (link: IssuedLink) => void }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [submitted, setSubmitted] = useState(false);
  const invite = useMutation({
    mutationFn: () =>
      trpc.users.create.mutate({
        email: email.trim(),
        role,
        ...(name.trim() ? { name: name.trim() } : {}),
      }),
    onSuccess: (r) => {
      onInvited({ email: r.user.email, kind: 'invite', url: signInUrl(r.signInLink) });
      setEmail('');
      setName('');
      setRole('viewer');
      setSubmitted(false);
      void queryClient.invalidateQueries({ queryKey: USERS });
    },
  });
  const emailError = EMAIL.test(email.trim())
    ? null
    : 'Enter an email address like you@example.com';
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!emailError) invite.mutate();
  };
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="invite-user">
      <h2 id="invite-user">Invite a user</h2>
      <div className="form-grid">
        <Field
          label="Email"
          type="email"
          autoComplete="off"
          value={email}
          maxLength={254}
          error={submitted ? emailError : null}
          onChange={(e) => {
            setEmail(e.target.value);
          }}
        />
        <Field
          label="Name"
          value={name}
          maxLength={200}
          hint="Optional."
          onChange={(e) => {
            setName(e.target.value);
          }}
        />
        <Field label="Role">
          {(control) => (
            <select
              {...control}
              value={role}
              onChange={(e) => {
                setRole(e.target.value as Role);
              }}
            >
              {ROLE_NAMES.map((r) => (
                <option key={r} value={r}>
                  {ROLES[r]}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ActionError error={invite.error} />
      <button type="submit" className="primary" disabled={invite.isPending}>
        {invite.isPending ? 'Inviting…' : 'Invite'}
      </button>
    </form>
  );
}

type Change =
  | { kind: 'role'; user: User; role: Role }
  | { kind: 'disabled'; user: User; disabled: boolean }
  | { kind: 'reset'; user: User };

function UserRow({
  user,
  isMe,
  busy,
  onChange,
}: {
  user: User;
  isMe: boolean;
  busy: boolean;
  onChange: (c: Change) => void;
}) {
  const [role, setRole] = useState<Role>(user.role);
  const who = user.name ? `${user.name} (${user.email})` : user.email;
  return (
    <tr>
      <td>
        {user.email}
        {isMe ? (
          <>
            {' '}
            <span className="badge">you</span>
          </>
        ) : null}
      </td>
      <td>{user.name ?? '—'}</td>
      <td>
        <div className="row-actions">
          <select
            aria-label={`Role of ${user.email}`}
            value={role}
            disabled={busy}
            onChange={(e) => {
              setRole(e.target.value as Role);
            }}
          >
            {ROLE_NAMES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
          {role !== user.role ? (
            <>
              <button
                type="button"
                className="primary"
                disabled={busy}
                aria-label={`Save the role of ${user.email}`}
                onClick={() => {
                  onChange({ kind: 'role', user, role });
                }}
              >
                Save
              </button>
              <button
                type="button"
                disabled={busy}
                aria-label={`Cancel the role change of ${user.email}`}
                onClick={() => {
                  setRole(user.role);
                }}
              >
                Cancel
              </button>
            </>
          ) : null}
        </div>
      </td>
      <td>{user.disabled ? 'Disabled' : 'Active'}</td>
      <td>{user.lastSignInAt ? formatTime(user.lastSignInAt) : 'Never'}</td>
      <td>
        <div className="row-actions">
          {isMe ? null : (
            <button
              type="button"
              className={user.disabled ? undefined : 'danger'}
              disabled={busy}
              aria-label={`${user.disabled ? 'Enable' : 'Disable'} ${user.email}`}
              onClick={() => {
                if (
                  user.disabled ||
                  window.confirm(`Disable ${who}? Their sessions end at once.`)
                ) {
                  onChange({ kind: 'disabled', user, disabled: !user.disabled });
                }
              }}
            >
              {user.disabled ? 'Enable' : 'Disable'}
            </button>
          )}
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              if (
                window.confirm(
                  `Reset the password of ${who}? Their sessions end; they sign in again with a new link.`,
                )
              ) {
                onChange({ kind: 'reset', user });
              }
            }}
          >
            Reset password<span className="sr-only"> of {user.email}</span>
          </button>
        </div>
      </td>
    </tr>
  );
}

export function UsersPage() {
  const auth = useAuth();
  const session = useSession();
  const allowed = useCan('users:admin');
  const queryClient = useQueryClient();
  const [link, setLink] = useState<IssuedLink | null>(null);
  const users = useQuery({
    queryKey: USERS,
    queryFn: () => trpc.users.list.query(),
    enabled: allowed,
  });
  const change = useMutation({
    mutationFn: async (c: Change) => {
      if (c.kind === 'reset') {
        const r = await trpc.users.resetPassword.mutate({ id: c.user.id });
        setLink({ email: c.user.email, kind: 'reset', url: signInUrl(r.signInLink) });
        return;
      }
      await trpc.users.update.mutate(
        c.kind === 'role'
          ? { id: c.user.id, role: c.role }
          : { id: c.user.id, disabled: c.disabled },
      );
    },
    onSuccess: (_data, c) => {
      // One's own new role changes what this session may do: read it again from the server.
      if (c.kind === 'role' && c.user.id === session.user?.id) auth.retry();
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: USERS }),
  });
  if (!allowed) {
    return (
      <>
        <h1>Users</h1>
        <ErrorState
          error={Object.assign(new Error('Managing users needs the users:admin permission.'), {
            status: 403,
          })}
        />
      </>
    );
  }
  const failed = change.error ? change.variables : null;
  return (
    <>
      <h1>Users</h1>
      {link ? (
        <LinkPanel
          link={link}
          onDone={() => {
            setLink(null);
          }}
        />
      ) : null}
      {failed ? (
        <p className="form-error" role="alert">
          {failed.kind === 'reset'
            ? `Could not reset the password of ${failed.user.email}`
            : `Could not change ${failed.user.email}`}
          : {messageOf(change.error)}
        </p>
      ) : null}
      <QueryState
        query={users}
        isEmpty={(d) => d.data.length === 0}
        empty={<Empty title="No users yet.">Invite the first one below.</Empty>}
      >
        {(d) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Dashboard users</caption>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.data.map((u) => (
                  <UserRow
                    // A new role from the server resets the row's unsaved choice.
                    key={`${u.id}:${u.role}`}
                    user={u}
                    isMe={session.user?.id === u.id}
                    busy={change.isPending && change.variables.user.id === u.id}
                    onChange={(c) => {
                      change.mutate(c);
                    }}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      <InviteForm onInvited={setLink} />
    </>
  );
}

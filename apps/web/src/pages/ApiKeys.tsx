import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { CopyButton } from '../components/CopyButton.js';
import { Field } from '../components/Field.js';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan, useSession } from '../lib/auth.js';
import { formatTime } from '../lib/format.js';
import { trpc, type RouterInputs, type RouterOutputs } from '../lib/trpc.js';

type Permission = RouterInputs['keys']['create']['permissions'][number];

/** Every permission a key can have, checked against the server's type: a new one fails to compile. */
const PERMISSIONS: Record<Permission, string> = {
  'transactions:write': 'Submit transactions',
  'transactions:read': 'Read transactions',
  'transactions:review': 'Approve or reject flagged transactions',
  'policies:read': 'Read rules, budgets and vendors',
  'policies:write': 'Change rules, budgets and vendors',
  'agents:read': 'Read agents',
  'agents:write': 'Change agents',
  'audit:read': 'Read the audit log',
  'alerts:read': 'Read alerts',
  'alerts:write': 'Mark alerts read',
  'analytics:read': 'Read analytics',
  'keys:admin': 'Manage API keys',
  'org:admin': 'Change organization settings',
  'users:admin': 'Manage dashboard users',
  '*': 'Everything',
};
const ALL = Object.keys(PERMISSIONS) as Permission[];

function CreateKey({ onCreated }: { onCreated: (k: RouterOutputs['keys']['create']) => void }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [perms, setPerms] = useState<Set<Permission>>(new Set(['transactions:write']));
  const [submitted, setSubmitted] = useState(false);
  const create = useMutation({
    mutationFn: () => trpc.keys.create.mutate({ name: name.trim(), permissions: [...perms] }),
    onSuccess: (k) => {
      onCreated(k);
      setName('');
      setSubmitted(false);
      void queryClient.invalidateQueries({ queryKey: ['keys.list'] });
    },
  });
  const nameError = name.trim() === '' ? 'Give the key a name (who or what uses it)' : null;
  const permError = perms.size === 0 ? 'Choose at least one permission' : null;
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (!nameError && !permError) create.mutate();
  };
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="new-key">
      <h2 id="new-key">New API key</h2>
      <Field
        label="Name"
        value={name}
        maxLength={100}
        error={submitted ? nameError : null}
        onChange={(e) => {
          setName(e.target.value);
        }}
      />
      <fieldset className="perm-grid">
        <legend>Permissions</legend>
        {ALL.map((p) => (
          <label key={p}>
            <input
              type="checkbox"
              checked={perms.has(p)}
              onChange={(e) => {
                const next = new Set(perms);
                if (e.target.checked) next.add(p);
                else next.delete(p);
                setPerms(next);
              }}
            />{' '}
            <code>{p}</code> <span className="muted">{PERMISSIONS[p]}</span>
          </label>
        ))}
      </fieldset>
      {submitted && permError ? <p className="field-error">{permError}</p> : null}
      <ActionError error={create.error} />
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Create key'}
      </button>
    </form>
  );
}

export function ApiKeysPage() {
  const session = useSession();
  const canAdmin = useCan('keys:admin');
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<RouterOutputs['keys']['create'] | null>(null);
  const keys = useQuery({ queryKey: ['keys.list'], queryFn: () => trpc.keys.list.query() });
  const revoke = useMutation({
    mutationFn: (id: string) => trpc.keys.revoke.mutate({ id }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['keys.list'] }),
  });
  return (
    <>
      <h1>API keys</h1>
      {created ? (
        <section className="card" aria-labelledby="created-key" role="region">
          <h2 id="created-key">Key “{created.name}” created</h2>
          <p>Copy it now: it is shown this once and cannot be read back.</p>
          <div className="secret">
            <code>{created.key}</code>
            <CopyButton text={created.key} what="key" />
          </div>
          <button
            type="button"
            onClick={() => {
              setCreated(null);
            }}
          >
            Done
          </button>
        </section>
      ) : null}
      <ActionError error={revoke.error} />
      <QueryState
        query={keys}
        isEmpty={(d) => d.keys.length === 0}
        empty={<Empty title="No API keys." />}
      >
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Permissions</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {d.keys.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td className="mono">{k.keyMasked}</td>
                    <td>{k.permissions.join(', ')}</td>
                    <td>{formatTime(k.createdAt)}</td>
                    <td>{formatTime(k.lastUsedAt)}</td>
                    <td>
                      {!k.isActive ? (
                        `Revoked ${formatTime(k.revokedAt)}`
                      ) : canAdmin && k.id !== session.keyId ? (
                        <button
                          type="button"
                          className="danger"
                          disabled={revoke.isPending}
                          onClick={() => {
                            if (window.confirm(`Revoke “${k.name}”? Calls with it stop at once.`)) {
                              revoke.mutate(k.id);
                            }
                          }}
                        >
                          Revoke
                        </button>
                      ) : (
                        'Active'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      {canAdmin ? <CreateKey onCreated={setCreated} /> : null}
    </>
  );
}

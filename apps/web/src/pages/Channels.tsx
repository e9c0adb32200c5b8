/**
 * Notification channels (`alerts:read` to see, `alerts:write` to change): list, create, enable or
 * disable, delete, send a test and follow its delivery.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { CopyButton } from '../components/CopyButton.js';
import { Field } from '../components/Field.js';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import {
  CHANNEL_TYPES,
  EMPTY_CHANNEL,
  channelErrors,
  channelInput,
  type ChannelField,
  type ChannelFormState,
  type ChannelType,
} from '../lib/channelForm.js';
import { formatTime } from '../lib/format.js';
import { messageOf, statusOf, trpc, type RouterOutputs } from '../lib/trpc.js';

export type Channel = RouterOutputs['notificationChannels']['list']['channels'][number];
type Delivery = RouterOutputs['notificationChannels']['deliveries']['deliveries'][number];

export const CHANNELS = ['notificationChannels.list'] as const;
const deliveriesKey = (id: string) => ['notificationChannels.deliveries', id] as const;

/** How often, and for how long after a test, a channel's pending deliveries are asked about. */
export const DELIVERY_POLL_MS = 1500;
const DELIVERY_POLL_FOR_MS = 30_000;
const DELIVERY_LIMIT = 10;

const TYPE_NAMES = Object.keys(CHANNEL_TYPES) as ChannelType[];

/** The server's error code (`data.reins.code`), when it sent one. */
function codeOf(err: unknown): string | null {
  if (!(err instanceof TRPCClientError)) return null;
  const data = (err as TRPCClientError<never>).data as { reins?: { code?: string } } | undefined;
  return data?.reins?.code ?? null;
}

/** Where a channel delivers to, with its secrets masked as the server masks them. */
function Destination({ channel }: { channel: Channel }) {
  switch (channel.type) {
    case 'webhook':
      return (
        <>
          <span className="mono">{channel.url}</span>
          <br />
          <span className="muted">
            Signing secret <span className="mono">{channel.secretMasked}</span>
          </span>
        </>
      );
    case 'slack':
      return <span className="mono">{channel.urlMasked}</span>;
    case 'email':
      return <>{channel.addresses.join(', ')}</>;
  }
}

const STATUS: Record<Delivery['status'], { label: string; className: string }> = {
  pending: { label: 'Pending', className: 'pill action-warn' },
  delivered: { label: 'Delivered', className: 'pill action-pass' },
  failed: { label: 'Failed', className: 'pill action-block' },
};

export function DeliveryStatus({ status }: { status: Delivery['status'] }) {
  return <span className={STATUS[status].className}>{STATUS[status].label}</span>;
}

function deliveryTime(d: Pick<Delivery, 'status' | 'deliveredAt' | 'nextAttemptAt'>): string {
  if (d.status === 'delivered') return `Delivered ${formatTime(d.deliveredAt)}`;
  if (d.status === 'pending') return `Next attempt ${formatTime(d.nextAttemptAt)}`;
  return '—';
}

function Deliveries({ channel, pollUntil }: { channel: Channel; pollUntil: number }) {
  const deliveries = useQuery({
    queryKey: deliveriesKey(channel.id),
    queryFn: () =>
      trpc.notificationChannels.deliveries.query({ id: channel.id, limit: DELIVERY_LIMIT }),
    // The worker sends within seconds of a test: follow it until it settles, but not forever
    // (an email channel without SMTP stays pending, retrying, for hours).
    refetchInterval: (q) =>
      q.state.data?.deliveries.some((d) => d.status === 'pending') && Date.now() < pollUntil
        ? DELIVERY_POLL_MS
        : false,
  });
  const headingId = `deliveries-${channel.id}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="card-head">
        <h3 id={headingId}>Recent deliveries to {channel.name}</h3>
        <button
          type="button"
          disabled={deliveries.isFetching}
          onClick={() => {
            void deliveries.refetch();
          }}
        >
          Refresh<span className="sr-only"> the deliveries to {channel.name}</span>
        </button>
      </div>
      <QueryState
        query={deliveries}
        isEmpty={(d) => d.deliveries.length === 0}
        empty={
          <Empty title="Nothing sent to this channel yet.">
            Alerts of rules that notify it, and tests, appear here.
          </Empty>
        }
      >
        {(d) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">The latest deliveries to {channel.name}</caption>
              <thead>
                <tr>
                  <th scope="col">What</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Attempts
                  </th>
                  <th scope="col">Time</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {d.deliveries.map((x) => (
                  <tr key={x.id}>
                    <td>
                      {x.test ? 'Test' : `Alert ${x.alertId ?? ''}`}
                      <br />
                      <span className="muted mono">{x.id}</span>
                    </td>
                    <td>
                      <DeliveryStatus status={x.status} />
                    </td>
                    <td className="num">{x.attempts}</td>
                    <td>{deliveryTime(x)}</td>
                    <td>{x.lastError ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
    </section>
  );
}

/** The channel just created; a webhook's generated or given signing secret, shown only now. */
function CreatedPanel({ channel, onDone }: { channel: Channel; onDone: () => void }) {
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    title.current?.focus();
  }, [channel]);
  const secret = channel.type === 'webhook' ? channel.secret : undefined;
  return (
    <section className="card" role="region" aria-labelledby="channel-created">
      <h3 id="channel-created" ref={title} tabIndex={-1}>
        Channel “{channel.name}” created
      </h3>
      {secret ? (
        <>
          <p>
            Its signing secret: receivers check each delivery’s HMAC-SHA256 signature with it. It is
            shown only now; afterwards only its last four characters are.
          </p>
          <div className="secret">
            <code>{secret}</code>
            <CopyButton text={secret} what="secret" />
          </div>
        </>
      ) : null}
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

export function ChannelForm({ onCreated }: { onCreated: (channel: Channel) => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<ChannelFormState>(EMPTY_CHANNEL);
  // A field's error shows once it has been typed in (or on submit): not before the first key.
  const [touched, setTouched] = useState<ReadonlySet<ChannelField>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const errors = channelErrors(form);
  const shown = (f: ChannelField) => (submitted || touched.has(f) ? errors[f] : undefined);
  const edit = (f: ChannelField, value: string) => {
    setForm((s) => ({ ...s, [f]: value }));
    setTouched((t) => new Set(t).add(f));
  };
  const create = useMutation({
    mutationFn: () => trpc.notificationChannels.create.mutate(channelInput(form)),
    onSuccess: (r) => {
      onCreated(r.channel);
      setForm(EMPTY_CHANNEL);
      setTouched(new Set());
      setSubmitted(false);
      void queryClient.invalidateQueries({ queryKey: CHANNELS });
    },
  });
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (Object.keys(errors).length === 0) create.mutate();
  };
  return (
    <form className="card" onSubmit={submit} noValidate aria-labelledby="new-channel">
      <h3 id="new-channel">New channel</h3>
      <div className="form-grid">
        <Field
          label="Name"
          value={form.name}
          maxLength={200}
          autoComplete="off"
          error={shown('name')}
          onChange={(e) => {
            edit('name', e.target.value);
          }}
        />
        <Field label="Type">
          {(control) => (
            <select
              {...control}
              value={form.type}
              onChange={(e) => {
                setForm((s) => ({ ...s, type: e.target.value as ChannelType }));
              }}
            >
              {TYPE_NAMES.map((t) => (
                <option key={t} value={t}>
                  {CHANNEL_TYPES[t]}
                </option>
              ))}
            </select>
          )}
        </Field>
        {form.type === 'email' ? (
          <Field
            label="Addresses"
            hint="One or more (up to 50), separated by commas or spaces."
            error={shown('addresses')}
          >
            {(control) => (
              <textarea
                {...control}
                rows={2}
                value={form.addresses}
                onChange={(e) => {
                  edit('addresses', e.target.value);
                }}
              />
            )}
          </Field>
        ) : (
          <Field
            label={form.type === 'slack' ? 'Slack webhook URL' : 'URL'}
            type="url"
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            value={form.url}
            maxLength={2000}
            hint={
              form.type === 'slack'
                ? 'https://hooks.slack.com/services/…: it is a credential, shown masked afterwards.'
                : 'Where each notification is POSTed as JSON (http:// or https://).'
            }
            error={shown('url')}
            onChange={(e) => {
              edit('url', e.target.value);
            }}
          />
        )}
        {form.type === 'webhook' ? (
          <Field
            label="Signing secret"
            type="password"
            autoComplete="new-password"
            spellCheck={false}
            value={form.secret}
            maxLength={256}
            hint="Optional: 16–256 characters, no spaces. Left empty, one is generated and shown once."
            error={shown('secret')}
            onChange={(e) => {
              edit('secret', e.target.value);
            }}
          />
        ) : null}
      </div>
      <label className="row">
        <input
          type="checkbox"
          className="inline-check"
          checked={form.enabled}
          onChange={(e) => {
            setForm((s) => ({ ...s, enabled: e.target.checked }));
          }}
        />
        Enabled (deliver notifications to it)
      </label>
      <ActionError error={create.error} />
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? 'Creating…' : 'Create channel'}
      </button>
    </form>
  );
}

type Change =
  { kind: 'enabled'; channel: Channel; enabled: boolean } | { kind: 'delete'; channel: Channel };

export function ChannelsSection() {
  const canWrite = useCan('alerts:write');
  const queryClient = useQueryClient();
  const [created, setCreated] = useState<Channel | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [pollUntil, setPollUntil] = useState(0);
  const channels = useQuery({
    queryKey: CHANNELS,
    queryFn: () => trpc.notificationChannels.list.query(),
  });
  const test = useMutation({
    mutationFn: (channel: Channel) => trpc.notificationChannels.test.mutate({ id: channel.id }),
    onSuccess: (_r, channel) => {
      setOpen(channel.id);
      setPollUntil(Date.now() + DELIVERY_POLL_FOR_MS);
      void queryClient.invalidateQueries({ queryKey: deliveriesKey(channel.id) });
    },
  });
  const change = useMutation({
    mutationFn: async (c: Change) => {
      if (c.kind === 'delete') await trpc.notificationChannels.delete.mutate({ id: c.channel.id });
      else {
        await trpc.notificationChannels.update.mutate({
          id: c.channel.id,
          patch: { enabled: c.enabled },
        });
      }
    },
    onSuccess: (_r, c) => {
      if (c.kind === 'delete' && open === c.channel.id) setOpen(null);
      // A refusal to test a channel that is now enabled (or gone) no longer holds.
      if (test.variables?.id === c.channel.id) test.reset();
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: CHANNELS }),
  });
  const changeFailed = change.error ? change.variables : null;
  const testFailed = test.error ? test.variables : null;
  const openChannel = channels.data?.channels.find((c) => c.id === open) ?? null;
  return (
    <section aria-labelledby="channels">
      <h2 id="channels">Notification channels</h2>
      <p className="muted">
        Where rules with the <code>notify</code> action send their alerts.
      </p>
      {changeFailed ? (
        <p className="form-error" role="alert">
          {changeFailed.kind === 'delete'
            ? `Could not delete “${changeFailed.channel.name}”`
            : `Could not ${changeFailed.enabled ? 'enable' : 'disable'} “${changeFailed.channel.name}”`}
          : {messageOf(change.error)}
        </p>
      ) : null}
      {testFailed ? (
        <p className="form-error" role="alert">
          {codeOf(test.error) === 'CHANNEL_DISABLED' ||
          (codeOf(test.error) === null && statusOf(test.error) === 409)
            ? `No test sent: “${testFailed.name}” is disabled. Enable it to send a test.`
            : `Could not send a test to “${testFailed.name}”: ${messageOf(test.error)}`}
        </p>
      ) : null}
      {test.isSuccess ? (
        <p className="notice" role="status">
          Test queued for “{test.variables.name}”: its delivery is below.
        </p>
      ) : null}
      <QueryState
        query={channels}
        isEmpty={(d) => d.channels.length === 0}
        empty={
          <Empty title="No notification channels.">
            {canWrite
              ? 'Create one below: a webhook, a Slack incoming webhook or email addresses.'
              : 'An editor or admin can create one.'}
          </Empty>
        }
      >
        {(d) => (
          <div className="table-wrap">
            <table>
              <caption className="sr-only">Notification channels</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Destination</th>
                  <th scope="col">Status</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {d.channels.map((c) => {
                  const busy =
                    (change.isPending && change.variables.channel.id === c.id) ||
                    (test.isPending && test.variables.id === c.id);
                  return (
                    <tr key={c.id} aria-selected={open === c.id ? true : undefined}>
                      <td>{c.name}</td>
                      <td>{c.type}</td>
                      <td>
                        <Destination channel={c} />
                      </td>
                      <td>{c.enabled ? 'Enabled' : 'Disabled'}</td>
                      <td>
                        <div className="row-actions">
                          {canWrite ? (
                            <button
                              type="button"
                              disabled={busy}
                              onClick={() => {
                                test.mutate(c);
                              }}
                            >
                              Send test<span className="sr-only"> to {c.name}</span>
                            </button>
                          ) : null}
                          <button
                            type="button"
                            aria-expanded={open === c.id}
                            onClick={() => {
                              setOpen(open === c.id ? null : c.id);
                            }}
                          >
                            Deliveries<span className="sr-only"> to {c.name}</span>
                          </button>
                          {canWrite ? (
                            <>
                              <button
                                type="button"
                                disabled={busy}
                                aria-label={`${c.enabled ? 'Disable' : 'Enable'} ${c.name}`}
                                onClick={() => {
                                  change.mutate({
                                    kind: 'enabled',
                                    channel: c,
                                    enabled: !c.enabled,
                                  });
                                }}
                              >
                                {c.enabled ? 'Disable' : 'Enable'}
                              </button>
                              <button
                                type="button"
                                className="danger"
                                disabled={busy}
                                aria-label={`Delete ${c.name}`}
                                onClick={() => {
                                  if (
                                    window.confirm(
                                      `Delete the channel “${c.name}”? Its pending deliveries are dropped.`,
                                    )
                                  ) {
                                    change.mutate({ kind: 'delete', channel: c });
                                  }
                                }}
                              >
                                Delete
                              </button>
                            </>
                          ) : null}
                        </div>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      {openChannel ? <Deliveries channel={openChannel} pollUntil={pollUntil} /> : null}
      {canWrite ? (
        <>
          {created ? (
            <CreatedPanel
              channel={created}
              onDone={() => {
                setCreated(null);
              }}
            />
          ) : null}
          <ChannelForm onCreated={setCreated} />
        </>
      ) : null}
    </section>
  );
}

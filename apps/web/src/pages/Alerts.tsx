/** Alerts (unread first, mark read, where each was sent) and the notification channels. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatTime } from '../lib/format.js';
import { trpc, type RouterOutputs } from '../lib/trpc.js';
import { CHANNELS, ChannelsSection, DeliveryStatus } from './Channels.js';

type Alert = RouterOutputs['alerts']['list']['alerts'][number];

const ALERTS = ['alerts.list'] as const;
const UNREAD_LIMIT = 100;
const READ_LIMIT = 50;

function Notifications({ alert, names }: { alert: Alert; names: ReadonlyMap<string, string> }) {
  if (alert.deliveries.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="plain-list">
      {alert.deliveries.map((d) => (
        <li key={d.id}>
          {names.get(d.channelId) ?? d.channelId} <DeliveryStatus status={d.status} />
          {d.status === 'delivered' ? null : (
            <span className="muted">
              {' '}
              {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
              {d.lastError ? `: ${d.lastError}` : ''}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

function AlertTable({
  alerts,
  caption,
  names,
  markRead,
}: {
  alerts: Alert[];
  caption: string;
  names: ReadonlyMap<string, string>;
  /** Absent for read alerts and for sessions that may not mark them. */
  markRead?: { busy: boolean; mark: (a: Alert) => void };
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Rule</th>
            <th scope="col">Message</th>
            <th scope="col">Notifications</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => (
            <tr key={a.id}>
              <td>{formatTime(a.createdAt)}</td>
              <td>{a.ruleName}</td>
              <td>{a.message}</td>
              <td>
                <Notifications alert={a} names={names} />
              </td>
              <td>
                {a.read ? (
                  <>Read {formatTime(a.readAt)}</>
                ) : markRead ? (
                  <button
                    type="button"
                    disabled={markRead.busy}
                    aria-label={`Mark read: ${a.message}`}
                    onClick={() => {
                      markRead.mark(a);
                    }}
                  >
                    Mark read
                  </button>
                ) : (
                  <strong>Unread</strong>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AlertsPage() {
  const canWrite = useCan('alerts:write');
  const queryClient = useQueryClient();
  const unread = useQuery({
    queryKey: [...ALERTS, 'unread'],
    queryFn: () => trpc.alerts.list.query({ read: false, limit: UNREAD_LIMIT }),
  });
  const read = useQuery({
    queryKey: [...ALERTS, 'read'],
    queryFn: () => trpc.alerts.list.query({ read: true, limit: READ_LIMIT }),
  });
  // Names for the deliveries' channel ids; shared with the channels section below.
  const channels = useQuery({
    queryKey: CHANNELS,
    queryFn: () => trpc.notificationChannels.list.query(),
  });
  const names = new Map((channels.data?.channels ?? []).map((c) => [c.id, c.name]));

  const markRead = useMutation({
    // The API marks one alert at a time; "all" is the unread ones listed, in one batched request.
    mutationFn: (ids: string[]) =>
      Promise.all(ids.map((id) => trpc.alerts.markRead.mutate({ id }))),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ALERTS }),
  });
  const unreadTotal = unread.data?.total;
  const shownUnread = unread.data?.alerts ?? [];
  return (
    <>
      <h1>Alerts</h1>
      <section aria-labelledby="unread-alerts">
        <div className="card-head">
          <h2 id="unread-alerts">
            Unread{unreadTotal === undefined ? null : <> ({unreadTotal})</>}
          </h2>
          {canWrite && shownUnread.length > 1 ? (
            <button
              type="button"
              disabled={markRead.isPending}
              onClick={() => {
                markRead.mutate(shownUnread.map((a) => a.id));
              }}
            >
              {unreadTotal !== undefined && unreadTotal > shownUnread.length
                ? `Mark these ${String(shownUnread.length)} read`
                : 'Mark all read'}
            </button>
          ) : null}
        </div>
        <ActionError error={markRead.error} />
        <QueryState
          query={unread}
          isEmpty={(d) => d.alerts.length === 0}
          empty={<Empty title="No unread alerts.">New alerts from rules appear here first.</Empty>}
        >
          {(d) => (
            <>
              <AlertTable
                alerts={d.alerts}
                caption="Unread alerts, newest first"
                names={names}
                {...(canWrite
                  ? {
                      markRead: {
                        busy: markRead.isPending,
                        mark: (a: Alert) => {
                          markRead.mutate([a.id]);
                        },
                      },
                    }
                  : {})}
              />
              {d.total > d.alerts.length ? (
                <p className="muted">
                  The newest {d.alerts.length} of {d.total} unread alerts.
                </p>
              ) : null}
            </>
          )}
        </QueryState>
      </section>
      <section aria-labelledby="read-alerts">
        <h2 id="read-alerts">Read</h2>
        <QueryState
          query={read}
          isEmpty={(d) => d.alerts.length === 0}
          empty={
            <Empty title="No read alerts.">
              Rules that notify or pass a threshold raise alerts; once read they move here.
            </Empty>
          }
        >
          {(d) => (
            <>
              <AlertTable alerts={d.alerts} caption="Read alerts, newest first" names={names} />
              {d.total > d.alerts.length ? (
                <p className="muted">
                  The newest {d.alerts.length} of {d.total} read alerts.
                </p>
              ) : null}
            </>
          )}
        </QueryState>
      </section>
      <ChannelsSection />
    </>
  );
}

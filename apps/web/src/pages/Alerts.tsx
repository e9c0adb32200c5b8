/** Alerts: unread first, mark read. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatTime } from '../lib/format.js';
import { trpc } from '../lib/trpc.js';

export function AlertsPage() {
  const canWrite = useCan('alerts:write');
  const queryClient = useQueryClient();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const alerts = useQuery({
    queryKey: ['alerts.list', unreadOnly],
    queryFn: () => trpc.alerts.list.query({ limit: 100, ...(unreadOnly ? { read: false } : {}) }),
  });

  const markRead = useMutation({
    mutationFn: (id: string) => trpc.alerts.markRead.mutate({ id }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['alerts.list'] }),
  });
  return (
    <>
      <h1>Alerts</h1>
      <label className="row">
        <input
          type="checkbox"
          className="inline-check"
          checked={unreadOnly}
          onChange={(e) => {
            setUnreadOnly(e.target.checked);
          }}
        />
        Unread only
      </label>
      <ActionError error={markRead.error} />
      <QueryState
        query={alerts}
        isEmpty={(d) => d.alerts.length === 0}
        empty={
          <Empty title="No alerts.">Rules that notify or pass a threshold raise alerts here.</Empty>
        }
      >
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Rule</th>
                <th scope="col">Message</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {d.alerts.map((a) => (
                <tr key={a.id}>
                  <td>{formatTime(a.createdAt)}</td>
                  <td>{a.ruleName}</td>
                  <td>{a.message}</td>
                  <td>
                    {a.read ? (
                      'Read'
                    ) : canWrite ? (
                      <button
                        type="button"
                        disabled={markRead.isPending}
                        onClick={() => {
                          markRead.mutate(a.id);
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
        )}
      </QueryState>
    </>
  );
}

/** Vendors: enable or disable each, per-minute limits. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ActionError, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { trpc } from '../lib/trpc.js';

export function VendorsPage() {
  const canWrite = useCan('policies:write');
  const queryClient = useQueryClient();
  const vendors = useQuery({
    queryKey: ['vendors.list'],
    queryFn: () => trpc.vendors.list.query(),
  });
  const toggle = useMutation({
    mutationFn: (v: { vendor: string; enabled: boolean }) =>
      trpc.vendors.update.mutate({ vendor: v.vendor, body: { enabled: v.enabled } } as never),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['vendors.list'] }),
  });
  return (
    <>
      <h1>Vendors</h1>
      <ActionError error={toggle.error} />
      <QueryState query={vendors} isEmpty={(d) => d.vendors.length === 0}>
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Vendor</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Rate limit (req/min)
                </th>
                {canWrite ? (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {d.vendors.map((v) => (
                <tr key={v.vendor}>
                  <td>{v.name}</td>
                  <td>{v.enabled ? 'Enabled' : <strong>Disabled</strong>}</td>
                  <td className="num">{v.rateLimitRpm ?? '—'}</td>
                  {canWrite ? (
                    <td>
                      <button
                        type="button"
                        disabled={toggle.isPending}
                        onClick={() => {
                          toggle.mutate({ vendor: v.vendor, enabled: !v.enabled });
                        }}
                      >
                        {v.enabled ? `Disable ${v.name}` : `Enable ${v.name}`}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
    </>
  );
}

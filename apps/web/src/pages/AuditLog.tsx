import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { Field } from '../components/Field.js';
import { Empty, ErrorState, Loading } from '../components/states.js';
import { formatInteger, formatTime } from '../lib/format.js';
import { trpc, type RouterInputs } from '../lib/trpc.js';

interface Filters {
  action: string;
  entityType: string;
  startDate: string;
  endDate: string;
}
const NONE: Filters = { action: '', entityType: '', startDate: '', endDate: '' };

function defined(f: Filters): Partial<Filters> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== ''));
}

/** The REST export's URL for these filters (`GET /api/v1/audit-log/csv`). */
export function csvUrl(f: Filters): string {
  const q = new URLSearchParams(defined(f)).toString();
  return `/api/v1/audit-log/csv${q ? `?${q}` : ''}`;
}

/** The CSV download: a plain link (the session cookie goes with it). */
function CsvDownload({ filters }: { filters: Filters }) {
  return (
    <a className="button-link" href={csvUrl(filters)} download>
      Download CSV
    </a>
  );
}

function Verification() {
  const verify = useQuery({
    queryKey: ['auditLog.verify'],
    queryFn: () => trpc.auditLog.verify.query(),
    enabled: false,
    retry: false,
  });
  return (
    <section className="card" aria-labelledby="verify-title">
      <div className="card-head">
        <h2 id="verify-title">Chain verification</h2>
        <button
          type="button"
          disabled={verify.isFetching}
          onClick={() => {
            void verify.refetch();
          }}
        >
          {verify.isFetching ? 'Verifying…' : 'Verify now'}
        </button>
      </div>
      <div aria-live="polite">
        {verify.error ? (
          <ErrorState error={verify.error} />
        ) : verify.data ? (
          verify.data.valid ? (
            <p>
              <span className="pill action-pass">intact</span> {formatInteger(verify.data.checked)}{' '}
              links checked up to #{verify.data.headSeq}
              {verify.data.checkpoint ? ` (checkpoint #${verify.data.checkpoint.seq})` : ''}.
            </p>
          ) : (
            <p className="form-error">
              <span className="pill action-block">broken</span> at link #
              {verify.data.firstBrokenLink?.seq}: {verify.data.firstBrokenLink?.reason}
              {verify.data.firstBrokenLink?.eventId
                ? ` (event ${verify.data.firstBrokenLink.eventId})`
                : ''}
            </p>
          )
        ) : (
          <p className="muted">
            Every event is hash-chained to the one before; verification walks the chain from the
            last checkpoint.
          </p>
        )}
      </div>
    </section>
  );
}

export function AuditLogPage() {
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const input: RouterInputs['auditLog']['list'] = {
    limit: 50,
    ...defined(filters),
    ...(cursor ? { cursor } : {}),
  };
  const list = useQuery({
    queryKey: ['auditLog.list', input],
    queryFn: () => trpc.auditLog.list.query(input),
    placeholderData: keepPreviousData,
  });
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => {
    setDraft((d) => ({ ...d, [k]: e.target.value }));
  };
  const apply = (e: SyntheticEvent) => {
    e.preventDefault();
    setFilters(draft);
    setCursors([undefined]);
  };
  return (
    <>
      <h1>Audit log</h1>
      <Verification />
      <form className="filters" onSubmit={apply} aria-label="Filter the audit log">
        <Field
          label="Event"
          value={draft.action}
          onChange={set('action')}
          placeholder="policy_rule"
        />
        <Field
          label="Entity type"
          value={draft.entityType}
          onChange={set('entityType')}
          placeholder="api_key"
        />
        <Field label="From" type="date" value={draft.startDate} onChange={set('startDate')} />
        <Field label="To" type="date" value={draft.endDate} onChange={set('endDate')} />
        <div className="filter-actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <CsvDownload filters={filters} />
        </div>
      </form>
      {list.isPending ? (
        <Loading />
      ) : list.error ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.events.length === 0 ? (
        <Empty title="No events match." />
      ) : (
        <>
          <p className="muted">{formatInteger(list.data.total)} events</p>
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Event</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Entity</th>
                </tr>
              </thead>
              <tbody>
                {list.data.events.map((ev) => (
                  <tr key={ev.id}>
                    <td>{formatTime(ev.occurredAt)}</td>
                    <td>{ev.eventType}</td>
                    <td className="mono">{ev.actor}</td>
                    <td>
                      {ev.entityType} <span className="mono muted">{ev.entityId}</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav className="pager" aria-label="Pages">
            <button
              type="button"
              disabled={cursors.length <= 1}
              onClick={() => {
                setCursors((c) => c.slice(0, -1));
              }}
            >
              Previous
            </button>
            <span className="muted">Page {cursors.length}</span>
            <button
              type="button"
              disabled={!list.data.nextCursor || list.isPlaceholderData}
              onClick={() => {
                const next = list.data.nextCursor;
                if (next) setCursors((c) => [...c, next]);
              }}
            >
              Next
            </button>
          </nav>
        </>
      )}
    </>
  );
}

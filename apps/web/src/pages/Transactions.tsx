import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { Field } from '../components/Field.js';
import { TraceView } from '../components/TraceView.js';
import { Empty, ErrorState, Loading, QueryState } from '../components/states.js';
import { ACTIONS } from '@reins/engine/schemas';
import { formatCents, formatInteger, formatTime } from '../lib/format.js';
import { trpc, type RouterInputs, type RouterOutputs } from '../lib/trpc.js';

export type Transaction = RouterOutputs['transactions']['list']['transactions'][number];
type ListInput = RouterInputs['transactions']['list'];
export interface Filters {
  vendor: string;
  agentId: string;
  action: string;
  review: string;
  startDate: string;
  endDate: string;
}
const NO_FILTERS: Filters = {
  vendor: '',
  agentId: '',
  action: '',
  review: '',
  startDate: '',
  endDate: '',
};
const REVIEW_STATES = ['open', 'approved', 'rejected'] as const satisfies readonly NonNullable<
  ListInput['review']
>[];
const PAGE = 50;

export function TransactionsTable({
  rows,
  onOpen,
  selected,
}: {
  rows: Transaction[];
  onOpen: (id: string) => void;
  selected?: string | null;
}) {
  if (rows.length === 0) {
    return (
      <Empty title="No transactions match.">Clear a filter, or wait for an agent to spend.</Empty>
    );
  }
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Agent</th>
            <th scope="col">Vendor / model</th>
            <th scope="col" className="num">
              Amount
            </th>
            <th scope="col" className="num">
              Tokens
            </th>
            <th scope="col">Decision</th>
            <th scope="col">
              <span className="sr-only">Trace</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.id} aria-selected={selected === t.id ? true : undefined}>
              <td className="nowrap">{formatTime(t.timestamp)}</td>
              <td>{t.agentId}</td>
              <td>
                {t.vendor}
                {t.model ? <span className="muted"> / {t.model}</span> : null}
              </td>
              <td className="num">{formatCents(t.amount)}</td>
              <td className="num">{formatInteger(t.tokensIn + t.tokensOut)}</td>
              <td>
                <span className={`pill action-${t.action}`}>{t.action}</span>
                {t.review ? <span className="muted"> {t.review.state}</span> : null}
              </td>
              <td>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    onOpen(t.id);
                  }}
                  aria-label={`Open the decision trace of ${t.id}`}
                >
                  Trace
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TracePanel({ id, onClose }: { id: string; onClose: () => void }) {
  const trace = useQuery({
    queryKey: ['transactions.trace', id],
    queryFn: () => trpc.transactions.trace.query({ id }),
    staleTime: Infinity,
  });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, [id]);
  return (
    <aside className="card panel" aria-labelledby="trace-title">
      <div className="card-head">
        <h2 id="trace-title" ref={heading} tabIndex={-1}>
          Decision trace <span className="muted mono">{id}</span>
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <QueryState query={trace}>{(t) => <TraceView trace={t} />}</QueryState>
    </aside>
  );
}

function toInput(f: Filters, cursor: string | undefined): ListInput {
  return {
    limit: PAGE,
    ...(cursor ? { cursor } : {}),
    ...(f.vendor ? { vendor: f.vendor } : {}),
    ...(f.agentId ? { agentId: f.agentId } : {}),
    ...(f.action ? { action: f.action as (typeof ACTIONS)[number] } : {}),
    ...(f.review ? { review: f.review as (typeof REVIEW_STATES)[number] } : {}),
    ...(f.startDate ? { startDate: f.startDate } : {}),
    ...(f.endDate ? { endDate: f.endDate } : {}),
  };
}

export function TransactionsPage() {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  // Cursors of the pages before this one: Previous pops, Next pushes.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const [open, setOpen] = useState<string | null>(null);

  const list = useQuery({
    queryKey: ['transactions.list', filters, cursor],
    queryFn: () => trpc.transactions.list.query(toInput(filters, cursor)),
    placeholderData: keepPreviousData,
  });

  const apply = (e: SyntheticEvent) => {
    e.preventDefault();
    setFilters(draft);
    setCursors([undefined]);
  };
  const set = (k: keyof Filters) => (v: string) => {
    setDraft((d) => ({ ...d, [k]: v }));
  };

  return (
    <>
      <h1>Transactions</h1>
      <form className="filters" onSubmit={apply} aria-label="Filter transactions">
        <Field
          label="Vendor"
          value={draft.vendor}
          onChange={(e) => {
            set('vendor')(e.target.value);
          }}
          placeholder="openai"
        />
        <Field
          label="Agent"
          value={draft.agentId}
          onChange={(e) => {
            set('agentId')(e.target.value);
          }}
        />
        <Field label="Decision">
          {(control) => (
            <select
              {...control}
              value={draft.action}
              onChange={(e) => {
                set('action')(e.target.value);
              }}
            >
              <option value="">Any</option>
              {ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Review">
          {(control) => (
            <select
              {...control}
              value={draft.review}
              onChange={(e) => {
                set('review')(e.target.value);
              }}
            >
              <option value="">Any</option>
              {REVIEW_STATES.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="From"
          type="date"
          value={draft.startDate}
          onChange={(e) => {
            set('startDate')(e.target.value);
          }}
        />
        <Field
          label="To"
          type="date"
          value={draft.endDate}
          onChange={(e) => {
            set('endDate')(e.target.value);
          }}
        />
        <div className="filter-actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_FILTERS);
              setFilters(NO_FILTERS);
              setCursors([undefined]);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <div className={open ? 'split' : undefined}>
        <div>
          {list.isPending ? (
            <Loading />
          ) : list.error ? (
            <ErrorState error={list.error} onRetry={() => void list.refetch()} />
          ) : (
            <>
              <p className="muted" aria-live="polite">
                {formatInteger(list.data.total)} transactions
                {list.isPlaceholderData ? ' · loading…' : ''}
              </p>
              <TransactionsTable rows={list.data.transactions} onOpen={setOpen} selected={open} />
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
        </div>
        {open ? (
          <TracePanel
            id={open}
            onClose={() => {
              setOpen(null);
            }}
          />
        ) : null}
      </div>
    </>
  );
}

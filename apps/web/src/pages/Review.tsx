import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { TracePanel, type Transaction } from './Transactions.js';
import { ActionError, Empty, ErrorState, Loading } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatCents, formatTime } from '../lib/format.js';
import { trpc } from '../lib/trpc.js';

const MAX_NOTE = 2000;

function ReviewRow({ t, onTrace }: { t: Transaction; onTrace: (id: string) => void }) {
  const canReview = useCan('transactions:review');
  const queryClient = useQueryClient();
  const [note, setNote] = useState('');
  const review = useMutation({
    mutationFn: (decision: 'approved' | 'rejected') =>
      trpc.transactions.review.mutate({
        id: t.id,
        body: { decision, ...(note.trim() ? { note: note.trim() } : {}) },
      }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['transactions.list'] });
    },
  });
  const noteId = `note-${t.id}`;
  return (
    <li className="card review-item">
      <div className="card-head">
        <div>
          <strong>{formatCents(t.amount)}</strong> by <strong>{t.agentId}</strong> on {t.vendor}
          {t.model ? ` / ${t.model}` : ''}
          <p className="muted">
            {formatTime(t.timestamp)} · <span className="mono">{t.id}</span>
          </p>
        </div>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            onTrace(t.id);
          }}
        >
          Why was it flagged?<span className="sr-only"> {t.id}</span>
        </button>
      </div>
      {canReview ? (
        <form
          className="review-form"
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <label htmlFor={noteId}>Note (optional)</label>
          <textarea
            id={noteId}
            value={note}
            maxLength={MAX_NOTE}
            rows={2}
            onChange={(e) => {
              setNote(e.target.value);
            }}
          />
          <div className="row">
            <button
              type="button"
              className="primary"
              disabled={review.isPending}
              onClick={() => {
                review.mutate('approved');
              }}
            >
              Approve
              <span className="sr-only"> {t.id}</span>
            </button>
            <button
              type="button"
              className="danger"
              disabled={review.isPending}
              onClick={() => {
                review.mutate('rejected');
              }}
            >
              Reject
              <span className="sr-only"> {t.id}</span>
            </button>
          </div>
          <ActionError error={review.error} />
        </form>
      ) : (
        <p className="muted">
          You can see this queue but not decide: that needs the transactions:review permission.
        </p>
      )}
    </li>
  );
}

export function ReviewPage() {
  const [open, setOpen] = useState<string | null>(null);
  const queue = useQuery({
    queryKey: ['transactions.list', 'review-open'],
    queryFn: () => trpc.transactions.list.query({ review: 'open', limit: 100 }),
  });
  return (
    <>
      <h1>Review queue</h1>
      <p className="muted">
        Flagged transactions wait here for a person to approve or reject them.
      </p>
      <div className={open ? 'split' : undefined}>
        <div>
          {queue.isPending ? (
            <Loading />
          ) : queue.error ? (
            <ErrorState error={queue.error} onRetry={() => void queue.refetch()} />
          ) : queue.data.transactions.length === 0 ? (
            <Empty title="Nothing to review.">Flagged transactions will appear here.</Empty>
          ) : (
            <>
              <p className="muted" aria-live="polite">
                {queue.data.total} awaiting review
              </p>
              <ul className="plain-list">
                {queue.data.transactions.map((t) => (
                  <ReviewRow key={t.id} t={t} onTrace={setOpen} />
                ))}
              </ul>
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

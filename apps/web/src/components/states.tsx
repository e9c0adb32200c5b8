import type { ReactNode } from 'react';
import { messageOf, statusOf } from '../lib/trpc.js';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty" role="status">
      <p className="state-title">{title}</p>
      {children ? <p className="muted">{children}</p> : null}
    </div>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const status = statusOf(error);
  const title =
    status === 403
      ? 'You do not have permission to see this.'
      : status === null
        ? 'The server could not be reached.'
        : 'Something went wrong.';
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{title}</p>
      <p className="muted">{messageOf(error)}</p>
      {onRetry && status !== 403 ? (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** A failed action (a mutation's error), announced where the action was taken. */
export function ActionError({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {messageOf(error)}
    </p>
  );
}

/** One query's three states, then its data. */
export function QueryState<T>({
  query,
  children,
  isEmpty,
  empty,
}: {
  query: { isPending: boolean; error: unknown; data: T | undefined; refetch: () => unknown };
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
}) {
  if (query.isPending) return <Loading />;
  if (query.error || query.data === undefined) {
    return (
      <ErrorState
        error={query.error}
        onRetry={() => {
          void query.refetch();
        }}
      />
    );
  }
  if (isEmpty?.(query.data)) return <>{empty ?? <Empty title="Nothing here yet." />}</>;
  return <>{children(query.data)}</>;
}

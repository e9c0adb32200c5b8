import { useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState, type ReactNode } from 'react';
import { DaysSelect } from './Field.js';
import { ActionError, ErrorState } from './states.js';
import { useCan } from '../lib/auth.js';
import { formatCents, formatInteger } from '../lib/format.js';
import { trpc, type RouterOutputs } from '../lib/trpc.js';

export type Backtest = RouterOutputs['policyRules']['getBacktest'];
type Result = NonNullable<Backtest['result']>;
interface Tally {
  transactions: number;
  spendCents: number;
}

/** The server's MAX_BACKTEST_DAYS (apps/server/src/schemas/rules.ts); a test keeps them equal. */
export const MAX_BACKTEST_DAYS = 366;
export const BACKTEST_PERIODS = [7, 30, 90].filter((d) => d <= MAX_BACKTEST_DAYS);
const DAY_MS = 86_400_000;
/** How often a queued or running backtest is asked for its progress. */
export const BACKTEST_POLL_MS = 750;

const transactions = (n: number) =>
  `${formatInteger(n)} ${n === 1 ? 'transaction' : 'transactions'}`;
const tally = (t: Tally | undefined) =>
  t && t.transactions > 0
    ? `${transactions(t.transactions)}, ${formatCents(t.spendCents)}`
    : 'no transactions';

/** What each decision is called in "would have …" sentences. */
const DID: Record<string, string> = {
  block: 'blocked',
  flag: 'flagged',
  warn: 'warned on',
  log: 'logged',
  notify: 'notified about',
  pass: 'let through',
};
/** The order decisions are told in: the consequential first. */
const TOLD = ['block', 'flag', 'warn', 'notify', 'log', 'pass'];

/**
 * A backtest of `rules` (a draft, or a stored rule as a draft): start it over the last 7/30/90
 * days, follow its progress (the replay is a background job), then what it would have decided
 * against what was decided then. Hidden from whoever may not start one (`policies:write`).
 */
export function BacktestPanel({
  rules,
  subject,
  onInvalid,
  note,
}: {
  /** The rules to replay, in either dialect; null while the draft is not a valid rule. */
  rules: unknown[] | null;
  /** How sentences name what is replayed: "this rule", "the draft". */
  subject: string;
  /** Called when a start is asked for while `rules` is null (to show the form's errors). */
  onInvalid?: () => void;
  note?: ReactNode;
}) {
  const canStart = useCan('policies:write');
  const heading = useId();
  const [days, setDays] = useState(30);
  const [invalid, setInvalid] = useState(false);
  const [started, setStarted] = useState<{ id: string; rules: string; days: number } | null>(null);
  const start = useMutation({
    mutationFn: (draft: { rules: unknown[]; days: number }) => {
      const now = Date.now();
      return trpc.policyRules.startBacktest.mutate({
        rules: draft.rules,
        startDate: new Date(now - draft.days * DAY_MS).toISOString(),
        endDate: new Date(now).toISOString(),
      });
    },
    onSuccess: (bt, draft) => {
      setStarted({ id: bt.id, rules: JSON.stringify(draft.rules), days: draft.days });
    },
  });
  const backtest = useQuery({
    queryKey: ['policyRules.getBacktest', started?.id],
    queryFn: () => trpc.policyRules.getBacktest.query({ id: started?.id ?? '' }),
    enabled: started !== null,
    refetchInterval: (q) => {
      const status = q.state.data?.status;
      return status === 'done' || status === 'failed' || q.state.error ? false : BACKTEST_POLL_MS;
    },
  });
  if (!canStart) return null;
  const current = started && backtest.data?.id === started.id ? backtest.data : undefined;
  const shown = current ?? (started ? start.data : undefined);
  const changed = started !== null && rules !== null && JSON.stringify(rules) !== started.rules;
  // A lost poll leaves the job's state unknown: starting another is allowed then.
  const running =
    start.isPending ||
    (!backtest.error && (shown?.status === 'queued' || shown?.status === 'running'));
  return (
    <section className="backtest" aria-labelledby={heading}>
      <h3 id={heading}>Backtest</h3>
      <p className="muted">
        Replays {subject} over the transactions recorded in a past period. Nothing is changed.
      </p>
      {note}
      <div className="backtest-controls">
        <DaysSelect label="Period" days={days} options={BACKTEST_PERIODS} onChange={setDays} />
        <button
          type="button"
          // aria-disabled, not disabled: a disabled button drops the keyboard's focus.
          aria-disabled={running || undefined}
          onClick={() => {
            if (running) return;
            if (rules === null) {
              setInvalid(true);
              onInvalid?.();
              return;
            }
            setInvalid(false);
            start.mutate({ rules, days });
          }}
        >
          Backtest {subject} over the last {days} days
        </button>
      </div>
      {invalid && rules === null ? (
        <p className="form-error" role="alert">
          Fix the rule’s errors above first.
        </p>
      ) : null}
      <ActionError error={start.error} />
      {backtest.error ? (
        <ErrorState
          error={backtest.error}
          onRetry={() => {
            void backtest.refetch();
          }}
        />
      ) : null}
      <div role="status" aria-live="polite">
        {start.isPending ? <p>Starting the backtest…</p> : null}
        {shown && (shown.status === 'queued' || shown.status === 'running') ? (
          <Progress backtest={shown} />
        ) : null}
        {shown?.status === 'done' && started ? (
          <p className="backtest-headline">
            {shown.result
              ? headline(shown.result, started.days, subject)
              : 'The backtest finished without a result.'}
          </p>
        ) : null}
      </div>
      {shown?.status === 'done' && shown.result ? <BacktestDetails result={shown.result} /> : null}
      {shown?.status === 'failed' ? (
        <p className="form-error" role="alert">
          The backtest failed: {shown.error ?? 'no reason was given'}
        </p>
      ) : null}
      {changed && shown && !running ? (
        <p className="muted">The rule has changed since this backtest: run it again to see.</p>
      ) : null}
    </section>
  );
}

function Progress({ backtest }: { backtest: Backtest }) {
  const { processed, total, pct } = backtest.progress;
  return (
    <div className="backtest-progress">
      <p>
        {backtest.status === 'queued' || total === null
          ? 'The backtest is queued…'
          : `Replaying: ${formatInteger(processed)} of ${transactions(total)} (${String(pct ?? 0)}%)`}
      </p>
      {/* Without a value a progress bar is indeterminate: right while the total is unknown. */}
      <progress max={100} value={pct ?? undefined} aria-label="Backtest progress" />
    </div>
  );
}

function Examples({ ids }: { ids: string[] }) {
  if (ids.length === 0) return null;
  return (
    <>
      {' '}
      For example:{' '}
      {ids.map((id, i) => (
        <span key={id}>
          {i > 0 ? ', ' : null}
          <code>{id}</code>
        </span>
      ))}
      .
    </>
  );
}

/** The replay's answer in one sentence: "Last 30 days: this rule would have blocked …". */
export function headline(result: Result, days: number, subject: string): string {
  const would = result.wouldHave as Partial<Record<string, Tally>>;
  return `Last ${String(days)} days: ${subject} would have blocked ${tally(would.block)}.`;
}

/** The rest of what the replay found, in sentences. */
function BacktestDetails({ result }: { result: Result }) {
  const would = result.wouldHave as Partial<Record<string, Tally>>;
  const others = TOLD.filter((a) => a !== 'block' && (would[a]?.transactions ?? 0) > 0);
  const then = TOLD.filter((a) => (result.actually[a]?.transactions ?? 0) > 0);
  const { newlyBlocked, newlyAdmitted, actionChanged } = result.difference;
  const shadow = result.rules.filter((r) => r.mode === 'shadow');
  return (
    <div className="backtest-summary">
      <ul>
        {others.map((a) => (
          <li key={a}>
            It would have {DID[a] ?? a} {tally(would[a])}.
          </li>
        ))}
        {shadow.map((r) => (
          <li key={r.index}>
            “{r.name}” is in shadow mode: it would have matched {tally(r)} without deciding them.
          </li>
        ))}
        <li>
          What happened: {tally(result)} recorded
          {then.length > 0
            ? `; ${then.map((a) => `${DID[a] ?? a} ${tally(result.actually[a])}`).join('; ')}`
            : ''}
          .
        </li>
      </ul>
      <h4>Compared with what was decided then</h4>
      <ul>
        <li>
          Newly blocked (admitted then): {tally(newlyBlocked)}
          {newlyBlocked.transactions > 0
            ? ` — ${formatCents(result.difference.preventedSpendCents)} of spend prevented.`
            : '.'}
          <Examples ids={newlyBlocked.examples} />
        </li>
        <li>
          Newly admitted (blocked then, by the rules in force): {tally(newlyAdmitted)}
          {newlyAdmitted.transactions > 0
            ? ` — ${formatCents(result.difference.addedSpendCents)} of spend let through.`
            : '.'}
          <Examples ids={newlyAdmitted.examples} />
        </li>
        <li>
          Any other change of decision: {tally(actionChanged)}.
          <Examples ids={actionChanged.examples} />
        </li>
      </ul>
    </div>
  );
}

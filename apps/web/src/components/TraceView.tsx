import { formatCents, formatInteger } from '../lib/format.js';
import type { RouterOutputs } from '../lib/trpc.js';

export type Trace = RouterOutputs['transactions']['trace'];
type Entry = Trace['evaluatedRules'][number];

const MICROS_PER_CENT = 1_000_000;

function figure(metric: string, value: number): string {
  return metric === 'cost_cents'
    ? formatCents(Math.ceil(value / MICROS_PER_CENT))
    : formatInteger(value);
}

function outcome(e: Entry): string {
  if (!e.reached) return 'not reached';
  if (e.decisive) return 'decided';
  return e.matched ? 'matched' : 'did not match';
}

/** A decision, rule by rule, in the order the engine evaluated them. */
export function TraceView({ trace }: { trace: Trace }) {
  return (
    <section className="trace" aria-label={`Decision trace of ${trace.transactionId}`}>
      <p>
        Final action:{' '}
        <span className={`pill action-${trace.finalAction}`}>{trace.finalAction}</span>
      </p>
      {trace.evaluatedRules.length === 0 ? (
        <p className="muted">No rule was enabled when this transaction was evaluated.</p>
      ) : (
        <ol className="trace-list">
          {trace.evaluatedRules.map((e) => (
            <li
              key={e.ruleId}
              className={
                e.decisive
                  ? 'trace-entry decisive'
                  : e.reached
                    ? 'trace-entry'
                    : 'trace-entry unreached'
              }
            >
              <div className="trace-head">
                <strong>{e.ruleName}</strong>
                <span className="muted"> priority {e.priority}</span>
                <span className={`pill action-${e.action}`}>{e.action}</span>
                {e.mode === 'shadow' ? <span className="pill">shadow</span> : null}
                <span className="trace-outcome">{outcome(e)}</span>
              </div>
              <p className="trace-reason">{e.reason}</p>
              {e.figures ? (
                <p className="muted">
                  {e.figures.per === 'org' ? 'Organization' : `${e.figures.per} ${e.figures.group}`}
                  : {figure(e.figures.metric, e.figures.current)} of{' '}
                  {figure(e.figures.metric, e.figures.limit)}{' '}
                  {e.figures.metric === 'cost_cents' ? '' : e.figures.metric.replace('_', ' ')}{' '}
                  (threshold {e.figures.thresholdPct}%)
                </p>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

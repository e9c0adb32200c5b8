/** Budgets: the organization's, and those of roles, teams and projects. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { Field } from '../components/Field.js';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { money } from '../lib/format.js';
import { centsToField, parseDollars } from '../lib/money.js';
import { trpc, type RouterOutputs } from '../lib/trpc.js';

const PERIOD_FIELDS = [
  ['hourlyBudgetCents', 'Hourly'],
  ['dailyBudgetCents', 'Daily'],
  ['weeklyBudgetCents', 'Weekly'],
  ['monthlyBudgetCents', 'Monthly'],
] as const;
type PeriodField = (typeof PERIOD_FIELDS)[number][0];
type OrgView = RouterOutputs['org']['get']['org'];

/** The organization's budgets, in dollars, checked as you type; saved with org.update. */
export function OrgBudgetForm({ org }: { org: OrgView }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState<Record<PeriodField, string>>(() => ({
    hourlyBudgetCents: centsToField(org.hourlyBudgetCents),
    dailyBudgetCents: centsToField(org.dailyBudgetCents),
    weeklyBudgetCents: centsToField(org.weeklyBudgetCents),
    monthlyBudgetCents: centsToField(org.monthlyBudgetCents),
  }));
  const parsed = Object.fromEntries(
    PERIOD_FIELDS.map(([k]) => [k, parseDollars(text[k])]),
  ) as Record<PeriodField, ReturnType<typeof parseDollars>>;
  const valid = Object.values(parsed).every((p) => 'cents' in p);
  const save = useMutation({
    mutationFn: () => {
      const body: Partial<Record<PeriodField, number | null>> = {};
      for (const [k] of PERIOD_FIELDS) {
        const p = parsed[k];
        if ('cents' in p) body[k] = p.cents;
      }
      return trpc.org.update.mutate(body);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['org.get'] }),
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) save.mutate();
      }}
      noValidate
    >
      <div className="form-grid">
        {PERIOD_FIELDS.map(([k, label]) => {
          const p = parsed[k];
          return (
            <Field
              key={k}
              label={`${label} ($)`}
              inputMode="decimal"
              placeholder="No budget"
              value={text[k]}
              error={'error' in p ? p.error : null}
              onChange={(e) => {
                setText((t) => ({ ...t, [k]: e.target.value }));
              }}
            />
          );
        })}
      </div>
      <ActionError error={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={!valid || save.isPending}>
          {save.isPending ? 'Saving…' : 'Save budgets'}
        </button>
        <span role="status" className="muted">
          {save.isSuccess ? 'Saved.' : ''}
        </span>
      </div>
    </form>
  );
}

export function BudgetsPage() {
  const canAdmin = useCan('org:admin');
  const org = useQuery({ queryKey: ['org.get'], queryFn: () => trpc.org.get.query() });
  const budgets = useQuery({
    queryKey: ['budgets.list'],
    queryFn: () => trpc.budgets.list.query({}),
  });
  return (
    <>
      <h1>Budgets</h1>
      <section className="card">
        <h2>Organization</h2>
        <QueryState query={org}>
          {({ org: o }) =>
            canAdmin ? (
              <OrgBudgetForm key={o.id} org={o} />
            ) : (
              <dl className="facts">
                {PERIOD_FIELDS.map(([k, label]) => (
                  <Fragment key={k}>
                    <dt>{label}</dt>
                    <dd>{money(o[k])}</dd>
                  </Fragment>
                ))}
              </dl>
            )
          }
        </QueryState>
        <p className="muted">
          Time zone of the calendar windows: {org.data ? org.data.org.timeZone : '…'}
        </p>
      </section>
      <section className="card">
        <h2>Roles, teams and projects</h2>
        <QueryState
          query={budgets}
          isEmpty={(d) => d.budgets.length === 0}
          empty={<Empty title="No budgets for roles, teams or projects." />}
        >
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col">Id</th>
                  <th scope="col" className="num">
                    Daily
                  </th>
                  <th scope="col" className="num">
                    Weekly
                  </th>
                  <th scope="col" className="num">
                    Monthly
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.budgets.map((b) => (
                  <tr key={`${b.kind}/${b.id}`}>
                    <td>{b.kind}</td>
                    <td className="mono">{b.id}</td>
                    <td className="num">{money(b.dailyBudgetCents)}</td>
                    <td className="num">{money(b.weeklyBudgetCents)}</td>
                    <td className="num">{money(b.monthlyBudgetCents)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryState>
      </section>
    </>
  );
}

/** Budgets: the organization's, roles', teams', projects' and agents', with use against each. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useEffect, useRef, useState } from 'react';
import type { Period } from '@reins/engine/schemas';
import { DecimalFields, Field } from '../components/Field.js';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatPct, formatTime, money } from '../lib/format.js';
import { centsToField, parseDollars } from '../lib/money.js';
import { trpc, type RouterOutputs } from '../lib/trpc.js';

const PERIOD_FIELDS = [
  ['hourlyBudgetCents', 'Hourly'],
  ['dailyBudgetCents', 'Daily'],
  ['weeklyBudgetCents', 'Weekly'],
  ['monthlyBudgetCents', 'Monthly'],
] as const;
type PeriodField = (typeof PERIOD_FIELDS)[number][0];
/** The amount inputs of a budget form, labelled in dollars. */
const AMOUNT_FIELDS = PERIOD_FIELDS.map(([k, label]) => [k, `${label} ($)`] as const);
const errorOf = (p: ReturnType<typeof parseDollars>) => ('error' in p ? p.error : null);
type OrgView = RouterOutputs['org']['get']['org'];
type Usage = RouterOutputs['budgets']['usage'];
type BudgetView = RouterOutputs['budgets']['list']['budgets'][number];
type Agent = RouterOutputs['agents']['list']['agents'][number];
type Kind = BudgetView['kind'];

const PERIOD_OF: Record<PeriodField, Period> = {
  hourlyBudgetCents: 'hourly',
  dailyBudgetCents: 'daily',
  weeklyBudgetCents: 'weekly',
  monthlyBudgetCents: 'monthly',
};

/** The kinds as people read them, and as the server's `kind` input names them (REST's path). */
const KINDS: readonly (readonly [Kind, string, 'roles' | 'teams' | 'projects'])[] = [
  ['role', 'Role', 'roles'],
  ['team', 'Team', 'teams'],
  ['project', 'Project', 'projects'],
];
const KIND_LABEL = Object.fromEntries(KINDS.map(([k, l]) => [k, l])) as Record<Kind, string>;
const KIND_PATH = Object.fromEntries(KINDS.map(([k, , p]) => [k, p])) as Record<
  Kind,
  'roles' | 'teams' | 'projects'
>;

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
        <DecimalFields
          fields={AMOUNT_FIELDS}
          text={text}
          errorOf={(k) => errorOf(parsed[k])}
          placeholder="No budget"
          onChange={(k, v) => {
            setText((t) => ({ ...t, [k]: v }));
          }}
        />
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

/** One budget against what was spent in its current window. */
interface UsageRow {
  key: string;
  label: string;
  period: Period;
  periodLabel: string;
  spentCents: number;
  budgetCents: number;
  endsAt: string;
}

const NO_SPEND: Record<Period, number> = { hourly: 0, daily: 0, weekly: 0, monthly: 0 };

/**
 * Every budget the usage API measures. Role budgets are left out: they apply to each user of the
 * role, and the usage API totals by team, project and agent, not by user.
 */
export function usageRows(
  usage: Usage,
  org: OrgView,
  budgets: readonly BudgetView[],
  agents: readonly Agent[],
): UsageRow[] {
  const rows: UsageRow[] = [];
  const push = (
    key: string,
    label: string,
    field: PeriodField,
    periodLabel: string,
    budget: number | null,
    spend: Record<Period, number>,
  ) => {
    if (budget === null) return;
    const period = PERIOD_OF[field];
    rows.push({
      key: `${key}/${period}`,
      label,
      period,
      periodLabel,
      spentCents: spend[period],
      budgetCents: budget,
      endsAt: usage.windows[period].endDate,
    });
  };
  for (const [f, l] of PERIOD_FIELDS) push('org', 'Organization', f, l, org[f], usage.org);
  for (const b of budgets) {
    if (b.kind === 'role') continue;
    const spend = (b.kind === 'team' ? usage.teams : usage.projects)[b.id] ?? NO_SPEND;
    for (const [f, l] of PERIOD_FIELDS) {
      push(`${b.kind}/${b.id}`, `${KIND_LABEL[b.kind]} ${b.id}`, f, l, b[f], spend);
    }
  }
  for (const a of agents) {
    push(
      `agent/${a.agentId}`,
      `Agent ${a.name}`,
      'monthlyBudgetCents',
      'Monthly',
      a.monthlyBudgetCents,
      usage.agents[a.agentId] ?? NO_SPEND,
    );
  }
  return rows;
}

/** The share of a budget used, in percent; a zero budget is all used by any spend. */
function usedPct(spent: number, budget: number): number {
  if (budget === 0) return spent > 0 ? 100 : 0;
  return (spent / budget) * 100;
}

function UsageTable({ rows, timeZone }: { rows: UsageRow[]; timeZone: string }) {
  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="sr-only">Spend in the current windows against each budget</caption>
          <thead>
            <tr>
              <th scope="col">Budget</th>
              <th scope="col">Window</th>
              <th scope="col" className="num">
                Spent
              </th>
              <th scope="col" className="num">
                Budget
              </th>
              <th scope="col">Used</th>
              <th scope="col">Resets</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => {
              const pct = usedPct(r.spentCents, r.budgetCents);
              const over = r.spentCents > r.budgetCents;
              const name = `${r.label}, ${r.periodLabel.toLowerCase()}`;
              return (
                <tr key={r.key} className={over ? 'over-budget' : undefined}>
                  <th scope="row">{r.label}</th>
                  <td>{r.periodLabel}</td>
                  <td className="num">{money(r.spentCents)}</td>
                  <td className="num">{money(r.budgetCents)}</td>
                  <td>
                    <div className="usage">
                      <meter
                        min={0}
                        max={100}
                        low={80}
                        // At or past the budget shows as worst, not as a warning.
                        high={99.99}
                        optimum={0}
                        value={Math.min(pct, 100)}
                        aria-label={`${name}: used`}
                        aria-valuetext={`${formatPct(pct)} of ${money(r.budgetCents)}`}
                      />
                      <span className="num">{formatPct(pct)}</span>
                      {over ? <strong className="over-flag">Over budget</strong> : null}
                    </div>
                  </td>
                  <td className="nowrap">{formatTime(r.endsAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="muted">
        Windows are calendar hours, days, weeks and months in {timeZone}; reset times are shown in
        your time zone.
      </p>
    </>
  );
}

/** Several queries as one for `QueryState`: pending until all answer, failed if any fails. */
function allOf<T extends unknown[]>(queries: {
  [K in keyof T]: {
    isPending: boolean;
    error: unknown;
    data: T[K] | undefined;
    refetch: () => unknown;
  };
}) {
  const qs = queries as readonly {
    isPending: boolean;
    error: unknown;
    data: unknown;
    refetch: () => unknown;
  }[];
  const failed = qs.find((q) => q.error);
  return {
    isPending: !failed && qs.some((q) => q.isPending),
    error: failed?.error ?? null,
    data: qs.every((q) => q.data !== undefined) ? (qs.map((q) => q.data) as T) : undefined,
    refetch: () => {
      for (const q of qs) if (q.error) void q.refetch();
    },
  };
}

type Amounts = Record<PeriodField, string>;
const NO_AMOUNTS: Amounts = {
  hourlyBudgetCents: '',
  dailyBudgetCents: '',
  weeklyBudgetCents: '',
  monthlyBudgetCents: '',
};

// eslint-disable-next-line no-control-regex -- the server refuses control characters in ids
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The server's rule for a budget's id (`budgetSubject`), said the way a form says it. */
function idError(id: string): string | null {
  if (id === '') return 'Give the id of the role, team or project';
  if (id.length > 200) return 'At most 200 characters';
  if (id.includes('*')) return 'An id must not contain *';
  if (CONTROL.test(id)) return 'An id must not contain control characters';
  return null;
}

/** Adds a role, team or project budget, or (`editing`) changes one's amounts. */
export function BudgetForm({
  editing,
  existing,
  onDone,
}: {
  editing?: BudgetView;
  existing: readonly BudgetView[];
  onDone?: () => void;
}) {
  const queryClient = useQueryClient();
  const [kind, setKind] = useState<Kind>(editing?.kind ?? 'team');
  const [id, setId] = useState(editing?.id ?? '');
  const [text, setText] = useState<Amounts>(() =>
    editing
      ? {
          hourlyBudgetCents: centsToField(editing.hourlyBudgetCents),
          dailyBudgetCents: centsToField(editing.dailyBudgetCents),
          weeklyBudgetCents: centsToField(editing.weeklyBudgetCents),
          monthlyBudgetCents: centsToField(editing.monthlyBudgetCents),
        }
      : NO_AMOUNTS,
  );
  const [submitted, setSubmitted] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  // Editing starts where the keyboard is: on the form's first amount.
  useEffect(() => {
    if (editing) form.current?.querySelector('input')?.focus();
  }, [editing]);

  const parsed = Object.fromEntries(
    PERIOD_FIELDS.map(([k]) => [k, parseDollars(text[k])]),
  ) as Record<PeriodField, ReturnType<typeof parseDollars>>;
  const amountsValid = Object.values(parsed).every((p) => 'cents' in p);
  const anyAmount = Object.values(parsed).some((p) => 'cents' in p && p.cents !== null);
  const subject = id.trim();
  // Roles compare case-insensitively on the server.
  const same = (b: BudgetView) =>
    b.kind === kind && (kind === 'role' ? b.id === subject.toLowerCase() : b.id === subject);
  const errors = {
    id: editing
      ? null
      : (idError(subject) ??
        (existing.some(same)
          ? `This ${KIND_LABEL[kind].toLowerCase()} has a budget already: edit it instead`
          : null)),
    amounts: anyAmount
      ? null
      : editing
        ? 'Give at least one amount; to remove the budget, delete it'
        : 'Give at least one amount',
  };
  const save = useMutation({
    mutationFn: () => {
      const amounts: Partial<Record<PeriodField, number | null>> = {};
      for (const [k] of PERIOD_FIELDS) {
        const p = parsed[k];
        // A new budget names the amounts given; an edit sends all four, so cleared ones clear.
        if ('cents' in p && (editing || p.cents !== null)) amounts[k] = p.cents;
      }
      return trpc.budgets.set.mutate({
        kind: KIND_PATH[editing?.kind ?? kind],
        id: editing?.id ?? subject,
        ...amounts,
      });
    },
    onSuccess: () => {
      if (!editing) {
        setId('');
        setText(NO_AMOUNTS);
        setSubmitted(false);
      }
      void queryClient.invalidateQueries({ queryKey: ['budgets.list'] });
      void queryClient.invalidateQueries({ queryKey: ['budgets.usage'] });
      onDone?.();
    },
  });
  const title = editing
    ? `Edit the ${KIND_LABEL[editing.kind].toLowerCase()} budget “${editing.id}”`
    : 'Add a budget';
  return (
    <form
      ref={form}
      aria-label={title}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (amountsValid && !errors.id && !errors.amounts) save.mutate();
      }}
    >
      <h3>{title}</h3>
      {editing ? null : (
        <div className="form-grid">
          <Field label="Kind">
            {(control) => (
              <select
                {...control}
                value={kind}
                onChange={(e) => {
                  setKind(e.target.value as Kind);
                }}
              >
                {KINDS.map(([k, l]) => (
                  <option key={k} value={k}>
                    {l}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Id"
            value={id}
            placeholder={kind === 'role' ? 'editor' : kind === 'team' ? 'platform' : 'checkout'}
            hint="As rules and transactions name it"
            error={submitted || subject !== '' ? errors.id : null}
            onChange={(e) => {
              setId(e.target.value);
            }}
          />
        </div>
      )}
      <div className="form-grid">
        <DecimalFields
          fields={AMOUNT_FIELDS}
          text={text}
          errorOf={(k) => errorOf(parsed[k])}
          placeholder="No budget"
          onChange={(k, v) => {
            setText((t) => ({ ...t, [k]: v }));
          }}
        />
      </div>
      {submitted && errors.amounts ? (
        <p className="form-error" role="alert">
          {errors.amounts}
        </p>
      ) : null}
      <ActionError error={save.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={!amountsValid || save.isPending}>
          {save.isPending ? 'Saving…' : editing ? 'Save changes' : 'Add budget'}
        </button>
        {onDone && editing ? (
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}

function BudgetsTable({
  budgets,
  canWrite,
  onEdit,
  focusKey,
}: {
  budgets: readonly BudgetView[];
  canWrite: boolean;
  onEdit: (b: BudgetView) => void;
  /** The budget whose Edit button gets the focus back once its edit is over. */
  focusKey: string | null;
}) {
  const queryClient = useQueryClient();
  const editButtons = useRef(new Map<string, HTMLButtonElement>());
  useEffect(() => {
    if (focusKey) editButtons.current.get(focusKey)?.focus();
  }, [focusKey]);
  const remove = useMutation({
    mutationFn: (b: BudgetView) =>
      trpc.budgets.delete.mutate({ kind: KIND_PATH[b.kind], id: b.id }),
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: ['budgets.list'] });
      void queryClient.invalidateQueries({ queryKey: ['budgets.usage'] });
    },
  });
  return (
    <>
      <ActionError error={remove.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">Id</th>
              {PERIOD_FIELDS.map(([k, label]) => (
                <th key={k} scope="col" className="num">
                  {label}
                </th>
              ))}
              {canWrite ? (
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {budgets.map((b) => {
              const name = `${KIND_LABEL[b.kind].toLowerCase()} budget “${b.id}”`;
              return (
                <tr key={`${b.kind}/${b.id}`}>
                  <td>{KIND_LABEL[b.kind]}</td>
                  <td className="mono">{b.id}</td>
                  {PERIOD_FIELDS.map(([k]) => (
                    <td key={k} className="num">
                      {money(b[k])}
                    </td>
                  ))}
                  {canWrite ? (
                    <td>
                      <div className="row-actions">
                        <button
                          type="button"
                          ref={(el) => {
                            if (el) editButtons.current.set(`${b.kind}/${b.id}`, el);
                            else editButtons.current.delete(`${b.kind}/${b.id}`);
                          }}
                          aria-label={`Edit the ${name}`}
                          onClick={() => {
                            onEdit(b);
                          }}
                        >
                          Edit
                        </button>
                        <button
                          type="button"
                          className="danger"
                          aria-label={`Delete the ${name}`}
                          disabled={remove.isPending}
                          onClick={() => {
                            if (window.confirm(`Delete the ${name}?`)) remove.mutate(b);
                          }}
                        >
                          Delete
                        </button>
                      </div>
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function BudgetsPage() {
  const canAdmin = useCan('org:admin');
  const canWrite = useCan('policies:write');
  const [editing, setEditing] = useState<BudgetView | null>(null);
  const [returnTo, setReturnTo] = useState<string | null>(null);
  const org = useQuery({ queryKey: ['org.get'], queryFn: () => trpc.org.get.query() });
  const budgets = useQuery({
    queryKey: ['budgets.list'],
    queryFn: () => trpc.budgets.list.query({}),
  });
  const usage = useQuery({
    queryKey: ['budgets.usage'],
    queryFn: () => trpc.budgets.usage.query(),
  });
  const agents = useQuery({
    queryKey: ['agents.list'],
    queryFn: () => trpc.agents.list.query({}),
  });
  const measured = allOf<[Usage, RouterOutputs['org']['get'], BudgetView[], Agent[]]>([
    usage,
    org,
    { ...budgets, data: budgets.data?.budgets },
    { ...agents, data: agents.data?.agents },
  ]);
  return (
    <>
      <h1>Budgets</h1>
      <section className="card" aria-labelledby="budget-use">
        <h2 id="budget-use">Use against budgets</h2>
        <QueryState
          query={measured}
          isEmpty={(d) => usageRows(d[0], d[1].org, d[2], d[3]).length === 0}
          empty={<Empty title="No budgets to measure yet." />}
        >
          {([u, o, b, a]) => <UsageTable rows={usageRows(u, o.org, b, a)} timeZone={u.timeZone} />}
        </QueryState>
        <p className="muted">
          Spend recorded in each current window; held reservations are not counted yet. Role budgets
          apply to each user of the role, so they are not totalled here.
        </p>
      </section>
      <section className="card" aria-labelledby="budget-org">
        <h2 id="budget-org">Organization</h2>
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
      <section className="card" aria-labelledby="budget-kinds">
        <h2 id="budget-kinds">Roles, teams and projects</h2>
        <QueryState
          query={budgets}
          isEmpty={(d) => d.budgets.length === 0}
          empty={<Empty title="No budgets for roles, teams or projects." />}
        >
          {(d) => (
            <BudgetsTable
              budgets={d.budgets}
              canWrite={canWrite}
              focusKey={returnTo}
              onEdit={(b) => {
                setReturnTo(null);
                setEditing(b);
              }}
            />
          )}
        </QueryState>
        {canWrite && budgets.data ? (
          editing ? (
            <BudgetForm
              key={`${editing.kind}/${editing.id}`}
              editing={editing}
              existing={budgets.data.budgets}
              onDone={() => {
                setReturnTo(`${editing.kind}/${editing.id}`);
                setEditing(null);
              }}
            />
          ) : (
            <BudgetForm existing={budgets.data.budgets} />
          )
        ) : null}
      </section>
    </>
  );
}

/** The read-mostly pages: agents, vendors, budgets, alerts — each a list with its states. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { VENDORS } from '@reins/engine/schemas';
import { Field } from '../components/Field.js';
import { Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatCents, formatTime } from '../lib/format.js';
import { centsToField, parseDollars } from '../lib/money.js';
import { messageOf, trpc, type RouterOutputs } from '../lib/trpc.js';

const money = (c: number | null) => (c === null ? '—' : formatCents(c));

/** Registers an agent: its id (as agents send it), a name, an optional vendor and budget. */
export function AgentForm() {
  const queryClient = useQueryClient();
  const [agentId, setAgentId] = useState('');
  const [name, setName] = useState('');
  const [vendor, setVendor] = useState('');
  const [budget, setBudget] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const parsedBudget = parseDollars(budget);
  const errors = {
    agentId: agentId.trim() === '' ? 'Give the id the agent sends as agentId' : null,
    name: name.trim() === '' ? 'Give the agent a name' : null,
    budget: 'error' in parsedBudget ? parsedBudget.error : null,
  };
  const create = useMutation({
    mutationFn: () =>
      trpc.agents.create.mutate({
        agentId: agentId.trim(),
        name: name.trim(),
        ...(vendor ? { vendor } : {}),
        ...('cents' in parsedBudget && parsedBudget.cents !== null
          ? { monthlyBudgetCents: parsedBudget.cents }
          : {}),
      }),
    onSuccess: () => {
      setAgentId('');
      setName('');
      setVendor('');
      setBudget('');
      setSubmitted(false);
      void queryClient.invalidateQueries({ queryKey: ['agents.list'] });
    },
  });
  return (
    <form
      className="card"
      noValidate
      aria-labelledby="new-agent"
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (!Object.values(errors).some(Boolean)) create.mutate();
      }}
    >
      <h2 id="new-agent">Register an agent</h2>
      <div className="form-grid">
        <Field
          label="Agent id"
          value={agentId}
          placeholder="support-bot"
          error={submitted ? errors.agentId : null}
          onChange={(e) => {
            setAgentId(e.target.value);
          }}
        />
        <Field
          label="Name"
          value={name}
          error={submitted ? errors.name : null}
          onChange={(e) => {
            setName(e.target.value);
          }}
        />
        <Field label="Vendor">
          {(control) => (
            <select
              {...control}
              value={vendor}
              onChange={(e) => {
                setVendor(e.target.value);
              }}
            >
              <option value="">Any</option>
              {VENDORS.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="Monthly budget ($)"
          inputMode="decimal"
          placeholder="No budget"
          value={budget}
          error={errors.budget}
          onChange={(e) => {
            setBudget(e.target.value);
          }}
        />
      </div>
      {create.error ? (
        <p className="form-error" role="alert">
          {messageOf(create.error)}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? 'Registering…' : 'Register agent'}
      </button>
    </form>
  );
}

export function AgentsPage() {
  const canWrite = useCan('agents:write');
  const agents = useQuery({ queryKey: ['agents.list'], queryFn: () => trpc.agents.list.query({}) });
  return (
    <>
      <h1>Agents</h1>
      <QueryState
        query={agents}
        isEmpty={(d) => d.agents.length === 0}
        empty={
          <Empty title="No agents registered.">
            Agents appear when they are registered or first spend.
          </Empty>
        }
      >
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Agent</th>
                <th scope="col">Name</th>
                <th scope="col">Vendor</th>
                <th scope="col" className="num">
                  Monthly budget
                </th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {d.agents.map((a) => (
                <tr key={a.agentId}>
                  <td className="mono">{a.agentId}</td>
                  <td>{a.name}</td>
                  <td>{a.vendor ?? 'any'}</td>
                  <td className="num">{money(a.monthlyBudgetCents)}</td>
                  <td>{formatTime(a.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryState>
      {canWrite ? <AgentForm /> : null}
    </>
  );
}

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
      {toggle.error ? (
        <p className="form-error" role="alert">
          {messageOf(toggle.error)}
        </p>
      ) : null}
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
      {save.error ? (
        <p className="form-error" role="alert">
          {messageOf(save.error)}
        </p>
      ) : null}
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

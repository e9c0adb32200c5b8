import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { ACTIONS, PERIODS, VENDORS, type DocsRule } from '@reins/engine/schemas';
import { BacktestPanel } from '../components/BacktestPanel.js';
import { Field } from '../components/Field.js';
import { RuleHits } from '../components/RuleHits.js';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatCents } from '../lib/format.js';
import {
  checkRule,
  draftOf,
  EMPTY_RULE,
  formOf,
  rulePatch,
  storedAsDraft,
  type RuleFormState,
} from '../lib/ruleForm.js';
import { parseDollars } from '../lib/money.js';
import { messageOf, trpc, type RouterOutputs } from '../lib/trpc.js';

/** Where each form field's errors come from in the rule body. */
const PATHS: Record<keyof RuleFormState, string> = {
  name: 'name',
  action: 'action',
  priority: 'priority',
  mode: 'mode',
  vendors: 'conditions.vendors',
  models: 'conditions.models',
  agentIds: 'conditions.agentIds',
  timeWindow: 'conditions.timeWindow',
  limitCents: 'actionConfig.limitCents',
  message: 'actionConfig.message',
};

function errorFor(errors: Record<string, string>, field: keyof RuleFormState): string | null {
  const path = PATHS[field];
  const hit = Object.entries(errors).find(([p]) => p === path || p.startsWith(`${path}.`));
  return hit ? hit[1] : null;
}

/** A new rule, or (`editing`) an existing one changed with `policyRules.update`. */
export function RuleForm({
  onSaved,
  editing,
  onCancel,
}: {
  onSaved?: () => void;
  editing?: Listed;
  onCancel?: () => void;
}) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<RuleFormState>(() => (editing ? formOf(editing) : EMPTY_RULE));
  const first = useRef<HTMLFormElement>(null);
  // Editing starts where the keyboard is: on the form's first field.
  useEffect(() => {
    if (editing) first.current?.querySelector('input')?.focus();
  }, [editing]);
  const [touched, setTouched] = useState<Partial<Record<keyof RuleFormState, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  // A saved draft's backtest is of a rule that now exists: the panel starts over.
  const [saves, setSaves] = useState(0);
  const check = checkRule(form);
  const create = useMutation({
    mutationFn: () => {
      if (!check.ok) throw new Error('The rule is not valid yet');
      return editing
        ? trpc.policyRules.update.mutate({ id: editing.id, patch: rulePatch(form) })
        : trpc.policyRules.create.mutate(check.body);
    },
    onSuccess: () => {
      setForm(EMPTY_RULE);
      setTouched({});
      setSubmitted(false);
      setSaves((n) => n + 1);
      void queryClient.invalidateQueries({ queryKey: ['policyRules.list'] });
      onSaved?.();
    },
  });
  const shown = (k: keyof RuleFormState) =>
    submitted || touched[k] ? errorFor(check.errors, k) : null;
  const input = (k: keyof RuleFormState) => ({
    name: k,
    value: form[k],
    error: shown(k),
    onChange: (e: { target: { value: string } }) => {
      setForm((f) => ({ ...f, [k]: e.target.value }));
      setTouched((t) => ({ ...t, [k]: true }));
    },
  });
  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    setSubmitted(true);
    if (check.ok) create.mutate();
  };
  const select = (
    k: keyof RuleFormState,
    label: string,
    options: readonly string[],
    any?: string,
  ) => {
    const { error, onChange, value } = input(k);
    return (
      <Field label={label} error={error}>
        {(control) => (
          <select {...control} value={value} onChange={onChange}>
            {any !== undefined ? <option value="">{any}</option> : null}
            {options.map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        )}
      </Field>
    );
  };
  return (
    <form
      ref={first}
      className="card rule-form"
      onSubmit={submit}
      noValidate
      aria-labelledby={editing ? 'edit-rule' : 'new-rule'}
    >
      {editing ? (
        <h2 id="edit-rule">Edit rule “{editing.name}”</h2>
      ) : (
        <h2 id="new-rule">New rule</h2>
      )}
      <div className="form-grid">
        <Field label="Name" {...input('name')} />
        {select('action', 'Action', ACTIONS)}
        <Field
          label="Priority"
          inputMode="numeric"
          hint="Higher runs first; the first matching rule decides."
          {...input('priority')}
        />
        {select('mode', 'Mode', ['enforce', 'shadow'])}
        <Field
          label="Vendors"
          hint="Comma-separated, e.g. openai, anthropic"
          {...input('vendors')}
        />
        <Field label="Models" hint="Comma-separated; globs like gpt-4* work" {...input('models')} />
        <Field label="Agents" hint="Comma-separated agent ids" {...input('agentIds')} />
        {select('timeWindow', 'Window', PERIODS, 'No window (per transaction)')}
        <Field label="Limit (cents)" inputMode="numeric" {...input('limitCents')} />
        <Field label="Message" {...input('message')} />
      </div>
      <ActionError error={create.error} />
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? 'Saving…' : editing ? 'Save changes' : 'Create rule'}
      </button>
      {onCancel ? (
        <>
          {' '}
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </>
      ) : null}
      <BacktestPanel
        key={saves}
        rules={draftOf(form, editing)}
        subject={editing ? 'the edited rule' : 'the draft rule'}
        onInvalid={() => {
          setSubmitted(true);
        }}
      />
    </form>
  );
}

type Listed = DocsRule & { warnings?: unknown[] };

function limitOf(r: Listed): string {
  const cfg = r.actionConfig as { limitCents?: number } | undefined;
  return cfg?.limitCents !== undefined ? formatCents(cfg.limitCents) : '—';
}

export function RulesPage() {
  const canWrite = useCan('policies:write');
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<Listed | null>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const rules = useQuery({
    queryKey: ['policyRules.list'],
    queryFn: async () => (await trpc.policyRules.list.query({})) as Listed[],
  });
  const toggle = useMutation({
    mutationFn: (r: { id: string; enabled: boolean }) =>
      trpc.policyRules.update.mutate({ id: r.id, patch: { enabled: r.enabled } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['policyRules.list'] }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => trpc.policyRules.delete.mutate({ id }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['policyRules.list'] }),
  });
  return (
    <>
      <h1>Policy rules</h1>
      {remove.error || toggle.error ? (
        <p className="form-error" role="alert">
          {messageOf(remove.error ?? toggle.error)}
        </p>
      ) : null}
      <QueryState
        query={rules}
        isEmpty={(d) => d.length === 0}
        empty={
          <Empty title="No rules yet.">
            Without rules every transaction gets the organization’s default action.
          </Empty>
        }
      >
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    Priority
                  </th>
                  <th scope="col">Name</th>
                  <th scope="col">Action</th>
                  <th scope="col">Window</th>
                  <th scope="col" className="num">
                    Limit
                  </th>
                  <th scope="col">Status</th>
                  {canWrite ? (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {d.map((r) => (
                  <Fragment key={r.id}>
                    <tr>
                      <td className="num">{r.priority}</td>
                      <td>
                        <button
                          type="button"
                          className="link-button"
                          aria-expanded={opened === r.id}
                          aria-controls={`rule-details-${r.id}`}
                          onClick={() => {
                            setOpened((o) => (o === r.id ? null : r.id));
                          }}
                        >
                          <span className="sr-only">Details of </span>
                          {r.name}
                        </button>
                        {r.warnings?.length ? (
                          <span className="pill action-warn">waits for a budget</span>
                        ) : null}
                      </td>
                      <td>
                        <span className={`pill action-${r.action}`}>{r.action}</span>
                      </td>
                      <td>{(r.conditions as { timeWindow?: string }).timeWindow ?? '—'}</td>
                      <td className="num">{limitOf(r)}</td>
                      <td>
                        {r.enabled ? (r.mode === 'shadow' ? 'Shadow' : 'Enforced') : 'Disabled'}
                      </td>
                      {canWrite ? (
                        <td>
                          <button
                            type="button"
                            onClick={() => {
                              setEditing(r);
                            }}
                          >
                            Edit<span className="sr-only"> {r.name}</span>
                          </button>{' '}
                          <button
                            type="button"
                            disabled={toggle.isPending}
                            onClick={() => {
                              toggle.mutate({ id: r.id, enabled: !r.enabled });
                            }}
                          >
                            {r.enabled ? 'Disable' : 'Enable'}
                            <span className="sr-only"> {r.name}</span>
                          </button>{' '}
                          <button
                            type="button"
                            className="danger"
                            disabled={remove.isPending}
                            onClick={() => {
                              if (window.confirm(`Delete the rule “${r.name}”?`))
                                remove.mutate(r.id);
                            }}
                          >
                            Delete<span className="sr-only"> {r.name}</span>
                          </button>
                        </td>
                      ) : null}
                    </tr>
                    {opened === r.id ? (
                      <tr id={`rule-details-${r.id}`} className="rule-details">
                        <td colSpan={canWrite ? 7 : 6}>
                          <RuleDetails rule={r} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      {canWrite && editing ? (
        <RuleForm
          key={editing.id}
          editing={editing}
          onSaved={() => {
            setEditing(null);
          }}
          onCancel={() => {
            setEditing(null);
          }}
        />
      ) : canWrite ? (
        <RuleForm />
      ) : null}
      <TryIt />
    </>
  );
}

/** An opened rule: its hits over time, and a backtest of it as stored. */
function RuleDetails({ rule }: { rule: Listed }) {
  return (
    <div className="rule-details-body">
      <h2 className="sr-only">“{rule.name}” in detail</h2>
      <RuleHits ruleId={rule.id} ruleName={rule.name} />
      <BacktestPanel
        rules={[storedAsDraft(rule)]}
        subject="this rule"
        note={
          rule.enabled ? null : (
            <p className="muted">The rule is disabled: the backtest replays it as if enabled.</p>
          )
        }
      />
    </div>
  );
}

type DryRun = RouterOutputs['policyRules']['evaluate'];

/** "Try it": what the rules would decide for a call, now, without recording anything. */
export function TryIt() {
  const [vendor, setVendor] = useState<string>(VENDORS[0]);
  const [model, setModel] = useState('');
  const [agentId, setAgentId] = useState('');
  const [amount, setAmount] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const dollars = parseDollars(amount);
  const amountError =
    'error' in dollars
      ? dollars.error
      : dollars.cents === null && model.trim() === ''
        ? 'Give an amount (or a model, to cost it from the price table)'
        : null;
  const evaluate = useMutation({
    mutationFn: (): Promise<DryRun> =>
      trpc.policyRules.evaluate.mutate({
        vendor,
        ...(model.trim() ? { model: model.trim() } : {}),
        ...(agentId.trim() ? { agentId: agentId.trim() } : {}),
        ...('cents' in dollars && dollars.cents !== null
          ? { amount: dollars.cents }
          : { tokensIn: 1000, tokensOut: 1000 }),
      }),
  });
  const result = evaluate.data;
  return (
    <section className="card" aria-labelledby="try-it">
      <h2 id="try-it">Try it</h2>
      <p className="muted">
        What the rules decide for a call made now. Nothing is recorded or counted.
      </p>
      <form
        noValidate
        aria-label="Try a call"
        onSubmit={(e) => {
          e.preventDefault();
          setSubmitted(true);
          if (!amountError) evaluate.mutate();
        }}
      >
        <div className="form-grid">
          <Field label="Vendor">
            {(control) => (
              <select
                {...control}
                value={vendor}
                onChange={(e) => {
                  setVendor(e.target.value);
                }}
              >
                {VENDORS.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field
            label="Model"
            value={model}
            hint="Without an amount: costed as 1,000 tokens in and out."
            onChange={(e) => {
              setModel(e.target.value);
            }}
          />
          <Field
            label="Agent"
            value={agentId}
            onChange={(e) => {
              setAgentId(e.target.value);
            }}
          />
          <Field
            label="Amount ($)"
            inputMode="decimal"
            value={amount}
            error={submitted ? amountError : null}
            onChange={(e) => {
              setAmount(e.target.value);
            }}
          />
        </div>
        <ActionError error={evaluate.error} />
        <button type="submit" disabled={evaluate.isPending}>
          {evaluate.isPending ? 'Evaluating…' : 'Evaluate'}
        </button>
      </form>
      <div role="status" aria-live="polite">
        {result ? (
          <div className="dry-run">
            <p>
              Decision:{' '}
              <span className={`pill action-${result.result.action}`}>{result.result.action}</span>{' '}
              {result.result.ruleName ? `by “${result.result.ruleName}”` : 'by the default action'}
              {result.result.message ? ` — ${result.result.message}` : null}
            </p>
            {result.evaluatedRules.length ? (
              <div className="table-wrap">
                <table>
                  <caption className="sr-only">Rules evaluated, in order</caption>
                  <thead>
                    <tr>
                      <th scope="col">Rule</th>
                      <th scope="col">Matched</th>
                      <th scope="col">Why</th>
                    </tr>
                  </thead>
                  <tbody>
                    {result.evaluatedRules.map((t) => (
                      <tr key={t.ruleId}>
                        <td>
                          {t.ruleName}
                          {t.decisive ? <span className="badge">decided</span> : null}
                        </td>
                        <td>{t.matched ? 'yes' : 'no'}</td>
                        <td>{t.reason}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </div>
        ) : null}
      </div>
    </section>
  );
}

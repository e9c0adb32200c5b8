import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type SyntheticEvent } from 'react';
import { ACTIONS, PERIODS, type DocsRule } from '@reins/engine/schemas';
import { Field } from '../components/Field.js';
import { Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatCents } from '../lib/format.js';
import { checkRule, EMPTY_RULE, type RuleFormState } from '../lib/ruleForm.js';
import { messageOf, trpc } from '../lib/trpc.js';

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

export function RuleForm({ onSaved }: { onSaved?: () => void }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<RuleFormState>(EMPTY_RULE);
  const [touched, setTouched] = useState<Partial<Record<keyof RuleFormState, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const check = checkRule(form);
  const create = useMutation({
    mutationFn: () => {
      if (!check.ok) throw new Error('The rule is not valid yet');
      return trpc.policyRules.create.mutate(check.body);
    },
    onSuccess: () => {
      setForm(EMPTY_RULE);
      setTouched({});
      setSubmitted(false);
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
    <form className="card rule-form" onSubmit={submit} noValidate aria-labelledby="new-rule">
      <h2 id="new-rule">New rule</h2>
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
      {create.error ? (
        <p className="form-error" role="alert">
          {messageOf(create.error)}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={create.isPending}>
        {create.isPending ? 'Saving…' : 'Create rule'}
      </button>
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
                  <tr key={r.id}>
                    <td className="num">{r.priority}</td>
                    <td>
                      {r.name}
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
                            if (window.confirm(`Delete the rule “${r.name}”?`)) remove.mutate(r.id);
                          }}
                        >
                          Delete<span className="sr-only"> {r.name}</span>
                        </button>
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      {canWrite ? <RuleForm /> : null}
    </>
  );
}

/** Agents: the registered agents and a form to register one. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { VENDORS } from '@reins/engine/schemas';
import { Field } from '../components/Field.js';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatTime, money } from '../lib/format.js';
import { parseDollars } from '../lib/money.js';
import { trpc } from '../lib/trpc.js';

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
      <ActionError error={create.error} />
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

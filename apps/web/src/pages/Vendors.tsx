/** Vendors: enable or disable each, per-minute limits, the price table and the org's overrides. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { DecimalFields, Field } from '../components/Field.js';
import { ActionError, Empty, QueryState } from '../components/states.js';
import { useCan } from '../lib/auth.js';
import { formatTime } from '../lib/format.js';
import { trpc, type RouterOutputs } from '../lib/trpc.js';
import {
  formatUsd,
  MAX_PRICE_PER_MTOK_USD,
  MAX_PRICE_PER_REQUEST_USD,
  parsePrice,
  parseRpm,
} from '../lib/vendorForm.js';

type VendorView = RouterOutputs['vendors']['list']['vendors'][number];
type Vendor = VendorView['vendor'];

/** The price fields as the API names them, with their column headings and ceilings. */
const PRICE_FIELDS = [
  ['inputPerMtokUsd', 'Input', MAX_PRICE_PER_MTOK_USD],
  ['outputPerMtokUsd', 'Output', MAX_PRICE_PER_MTOK_USD],
  ['cacheReadPerMtokUsd', 'Cache read', MAX_PRICE_PER_MTOK_USD],
  ['cacheWritePerMtokUsd', 'Cache write', MAX_PRICE_PER_MTOK_USD],
  ['perRequestUsd', 'Per request', MAX_PRICE_PER_REQUEST_USD],
] as const;
type PriceField = (typeof PRICE_FIELDS)[number][0];

const unitOf = (f: PriceField) => (f === 'perRequestUsd' ? '$ per request' : '$ per 1M tokens');
/** The override form's inputs, labelled with their unit. */
const PRICE_INPUTS = PRICE_FIELDS.map(([f, label]) => [f, `${label} (${unitOf(f)})`] as const);

function invalidateVendor(queryClient: ReturnType<typeof useQueryClient>, vendor: Vendor) {
  void queryClient.invalidateQueries({ queryKey: ['vendors.listOverrides', vendor] });
  void queryClient.invalidateQueries({ queryKey: ['vendors.prices', vendor] });
}

/** The per-minute limit of one vendor, checked as typed and saved on its own. */
function RateLimitForm({ v }: { v: VendorView }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState(v.rateLimitRpm === null ? '' : String(v.rateLimitRpm));
  const parsed = parseRpm(text);
  const save = useMutation({
    mutationFn: (rateLimitRpm: number | null) =>
      trpc.vendors.update.mutate({ vendor: v.vendor, rateLimitRpm }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['vendors.list'] }),
  });
  const unchanged = 'rpm' in parsed && parsed.rpm === v.rateLimitRpm;
  const errorId = `rpm-error-${v.vendor}`;
  return (
    <form
      className="row-actions"
      aria-label={`Rate limit of ${v.name}`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if ('rpm' in parsed && !unchanged) save.mutate(parsed.rpm);
      }}
    >
      <input
        aria-label={`Requests per minute for ${v.name}`}
        inputMode="numeric"
        placeholder="No limit"
        value={text}
        aria-invalid={'error' in parsed ? true : undefined}
        aria-describedby={'error' in parsed ? errorId : undefined}
        onChange={(e) => {
          setText(e.target.value);
          save.reset();
        }}
      />
      <button type="submit" disabled={'error' in parsed || unchanged || save.isPending}>
        Save<span className="sr-only"> the rate limit of {v.name}</span>
      </button>
      {'error' in parsed ? (
        <span id={errorId} className="field-error">
          {parsed.error}
        </span>
      ) : null}
      <span role="status" className="muted">
        {save.isSuccess && unchanged ? 'Saved.' : ''}
      </span>
      <ActionError error={save.error} />
    </form>
  );
}

/** The vendor's price table now, with what the org's overrides replace. */
function PriceTable({ vendor }: { vendor: Vendor }) {
  const prices = useQuery({
    queryKey: ['vendors.prices', vendor],
    queryFn: () => trpc.vendors.prices.query({ vendor }),
  });
  const [filter, setFilter] = useState('');
  const needle = filter.trim().toLowerCase();
  return (
    <QueryState
      query={prices}
      isEmpty={(d) => d.models.length === 0}
      empty={<Empty title="The price table has no models for this vendor." />}
    >
      {(d) => (
        <>
          <p className="muted">
            Prices in dollars per million tokens (per request where noted), as of {formatTime(d.at)}
            ; price data {d.priceVersion}.
          </p>
          <Field
            label="Find a model"
            type="search"
            value={filter}
            onChange={(e) => {
              setFilter(e.target.value);
            }}
          />
          <div className="table-wrap">
            <table aria-label="Price table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  {PRICE_FIELDS.map(([f, label]) => (
                    <th key={f} scope="col" className="num">
                      {label}
                      <span className="sr-only"> ({unitOf(f)})</span>
                    </th>
                  ))}
                  <th scope="col">Notes</th>
                </tr>
              </thead>
              <tbody>
                {d.models
                  .filter(
                    (m) =>
                      needle === '' ||
                      m.model.toLowerCase().includes(needle) ||
                      (m.name ?? '').toLowerCase().includes(needle),
                  )
                  .map((m) => (
                    <tr key={m.model}>
                      <th scope="row">
                        <span className="mono">{m.model}</span>
                        {m.name && m.name !== m.model ? (
                          <span className="muted"> {m.name}</span>
                        ) : null}
                      </th>
                      {PRICE_FIELDS.map(([f]) => (
                        <td key={f} className="num">
                          {formatUsd(m[f])}
                        </td>
                      ))}
                      <td>
                        {[
                          m.overriddenBy ? `Overridden (${m.overriddenBy})` : null,
                          m.tiers?.length ? 'Long-context tiers' : null,
                          m.deprecated ? 'Deprecated' : null,
                        ]
                          .filter(Boolean)
                          .join('; ')}
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </QueryState>
  );
}

// eslint-disable-next-line no-control-regex -- the server refuses control characters in models
const CONTROL = /[\u0000-\u001f\u007f]/;

function modelError(model: string): string | null {
  if (model === '') return 'Give a model id, or a pattern like gpt-4o*';
  if (model.length > 200) return 'At most 200 characters';
  if (CONTROL.test(model)) return 'A model must not contain control characters';
  return null;
}

type PriceText = Record<PriceField, string>;
const NO_PRICES: PriceText = {
  inputPerMtokUsd: '',
  outputPerMtokUsd: '',
  cacheReadPerMtokUsd: '',
  cacheWritePerMtokUsd: '',
  perRequestUsd: '',
};

/** A new override: a model (or glob) and the prices it replaces, from now on. */
function OverrideForm({ vendor, name }: { vendor: Vendor; name: string }) {
  const queryClient = useQueryClient();
  const [model, setModel] = useState('');
  const [text, setText] = useState<PriceText>(NO_PRICES);
  const [submitted, setSubmitted] = useState(false);
  const parsed = Object.fromEntries(
    PRICE_FIELDS.map(([f, , max]) => [f, parsePrice(text[f], max)]),
  ) as Record<PriceField, ReturnType<typeof parsePrice>>;
  const pricesValid = Object.values(parsed).every((p) => 'usd' in p);
  const anyPrice = Object.values(parsed).some((p) => 'usd' in p && p.usd !== undefined);
  const errors = {
    model: modelError(model.trim()),
    prices: anyPrice ? null : 'Give at least one price',
  };
  const create = useMutation({
    mutationFn: () => {
      const prices: Partial<Record<PriceField, number>> = {};
      for (const [f] of PRICE_FIELDS) {
        const p = parsed[f];
        if ('usd' in p && p.usd !== undefined) prices[f] = p.usd;
      }
      return trpc.vendors.createOverride.mutate({ vendor, model: model.trim(), ...prices });
    },
    onSuccess: () => {
      setModel('');
      setText(NO_PRICES);
      setSubmitted(false);
      invalidateVendor(queryClient, vendor);
    },
  });
  const title = `Add a price override for ${name}`;
  return (
    <form
      aria-label={title}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        setSubmitted(true);
        if (pricesValid && !errors.model && !errors.prices) create.mutate();
      }}
    >
      <h4>{title}</h4>
      <div className="form-grid">
        <Field
          label="Model"
          value={model}
          placeholder="gpt-4o*"
          hint="An exact model id or a pattern with *, matched case-insensitively"
          error={submitted || model !== '' ? errors.model : null}
          onChange={(e) => {
            setModel(e.target.value);
          }}
        />
        <DecimalFields
          fields={PRICE_INPUTS}
          text={text}
          errorOf={(f) => {
            const p = parsed[f];
            return 'error' in p ? p.error : null;
          }}
          placeholder="Not overridden"
          onChange={(f, v) => {
            setText((t) => ({ ...t, [f]: v }));
          }}
        />
      </div>
      {submitted && errors.prices ? (
        <p className="form-error" role="alert">
          {errors.prices}
        </p>
      ) : null}
      <ActionError error={create.error} />
      <button type="submit" className="primary" disabled={!pricesValid || create.isPending}>
        {create.isPending ? 'Adding…' : 'Add override'}
      </button>
      <p className="muted">
        An override prices calls recorded from now on; calls already recorded keep their cost.
      </p>
    </form>
  );
}

function Overrides({
  vendor,
  name,
  canWrite,
}: {
  vendor: Vendor;
  name: string;
  canWrite: boolean;
}) {
  const queryClient = useQueryClient();
  const overrides = useQuery({
    queryKey: ['vendors.listOverrides', vendor],
    queryFn: () => trpc.vendors.listOverrides.query({ vendor }),
  });
  const remove = useMutation({
    mutationFn: (id: string) => trpc.vendors.deleteOverride.mutate({ vendor, id }),
    onSettled: () => {
      invalidateVendor(queryClient, vendor);
    },
  });
  return (
    <>
      <ActionError error={remove.error} />
      <QueryState
        query={overrides}
        isEmpty={(d) => d.overrides.length === 0}
        empty={<Empty title="No price overrides: the price table applies." />}
      >
        {(d) => (
          <div className="table-wrap">
            <table aria-label="Price overrides">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  {PRICE_FIELDS.map(([f, label]) => (
                    <th key={f} scope="col" className="num">
                      {label}
                      <span className="sr-only"> ({unitOf(f)})</span>
                    </th>
                  ))}
                  <th scope="col">Effective</th>
                  {canWrite ? (
                    <th scope="col">
                      <span className="sr-only">Actions</span>
                    </th>
                  ) : null}
                </tr>
              </thead>
              <tbody>
                {d.overrides.map((o) => (
                  <tr key={o.id}>
                    <th scope="row" className="mono">
                      {o.model}
                    </th>
                    {PRICE_FIELDS.map(([f]) => (
                      <td key={f} className="num">
                        {formatUsd(o[f])}
                      </td>
                    ))}
                    <td className="nowrap">
                      {formatTime(o.effectiveFrom)} –{' '}
                      {o.effectiveTo ? formatTime(o.effectiveTo) : 'open-ended'}
                    </td>
                    {canWrite ? (
                      <td>
                        <button
                          type="button"
                          className="danger"
                          aria-label={`Delete the override for ${o.model}`}
                          disabled={remove.isPending}
                          onClick={() => {
                            if (
                              window.confirm(
                                `Delete the ${name} override for “${o.model}”? Calls from now on use the price table.`,
                              )
                            ) {
                              remove.mutate(o.id);
                            }
                          }}
                        >
                          Delete
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
      {canWrite ? <OverrideForm vendor={vendor} name={name} /> : null}
    </>
  );
}

function VendorDetail({ v, canWrite }: { v: VendorView; canWrite: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Opened from a row's button: the keyboard goes to the detail rather than the rows after it.
  useEffect(() => {
    heading.current?.focus();
  }, []);
  return (
    <section
      id="vendor-detail"
      className="card vendor-detail"
      aria-labelledby="vendor-detail-title"
    >
      <h2 id="vendor-detail-title" ref={heading} tabIndex={-1}>
        {v.name} prices
      </h2>
      <h3>Overrides</h3>
      <Overrides vendor={v.vendor} name={v.name} canWrite={canWrite} />
      <h3>Price table</h3>
      <PriceTable vendor={v.vendor} />
    </section>
  );
}

export function VendorsPage() {
  const canWrite = useCan('policies:write');
  const queryClient = useQueryClient();
  const [selected, setSelected] = useState<Vendor | null>(null);
  const vendors = useQuery({
    queryKey: ['vendors.list'],
    queryFn: () => trpc.vendors.list.query(),
  });
  const toggle = useMutation({
    mutationFn: (v: { vendor: Vendor; enabled: boolean }) => trpc.vendors.update.mutate(v),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['vendors.list'] }),
  });
  const shown = vendors.data?.vendors.find((v) => v.vendor === selected);
  return (
    <>
      <h1>Vendors</h1>
      <ActionError error={toggle.error} />
      <QueryState
        query={vendors}
        isEmpty={(d) => d.vendors.length === 0}
        empty={<Empty title="No vendors." />}
      >
        {(d) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Vendor</th>
                  <th scope="col">Status</th>
                  <th scope="col">Rate limit (requests/min)</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.vendors.map((v) => (
                  <tr key={v.vendor} aria-selected={v.vendor === selected}>
                    <th scope="row">{v.name}</th>
                    <td>{v.enabled ? 'Enabled' : <strong>Disabled</strong>}</td>
                    <td>
                      {canWrite ? (
                        <RateLimitForm v={v} />
                      ) : (
                        (v.rateLimitRpm?.toLocaleString('en-US') ?? 'No limit')
                      )}
                    </td>
                    <td>
                      <div className="row-actions">
                        {canWrite ? (
                          <button
                            type="button"
                            disabled={toggle.isPending}
                            onClick={() => {
                              toggle.mutate({ vendor: v.vendor, enabled: !v.enabled });
                            }}
                          >
                            {v.enabled ? `Disable ${v.name}` : `Enable ${v.name}`}
                          </button>
                        ) : null}
                        <button
                          type="button"
                          aria-expanded={v.vendor === selected}
                          aria-controls={v.vendor === selected ? 'vendor-detail' : undefined}
                          onClick={() => {
                            setSelected((s) => (s === v.vendor ? null : v.vendor));
                          }}
                        >
                          Prices<span className="sr-only"> of {v.name}</span>
                        </button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      {shown ? <VendorDetail key={shown.vendor} v={shown} canWrite={canWrite} /> : null}
    </>
  );
}

import { useId, type InputHTMLAttributes, type ReactNode } from 'react';

/** A labelled input with its hint and its error, wired with aria-describedby/aria-invalid. */
export function Field({
  label,
  error,
  hint,
  children,
  ...input
}: {
  label: string;
  error?: string | null | undefined;
  hint?: ReactNode;
  /** A control other than an input (a select): rendered with the label's id. */
  children?: (control: {
    id: string;
    'aria-describedby'?: string;
    'aria-invalid'?: true;
  }) => ReactNode;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'children'>) {
  const id = useId();
  const described = [hint ? `${id}-hint` : null, error ? `${id}-error` : null]
    .filter(Boolean)
    .join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children ? (
        children({
          id,
          ...(described ? { 'aria-describedby': described } : {}),
          ...(error ? { 'aria-invalid': true as const } : {}),
        })
      ) : (
        <input
          id={id}
          aria-invalid={error ? true : undefined}
          aria-describedby={described || undefined}
          {...input}
        />
      )}
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Decimal inputs side by side, one per field with its own error (budget amounts, prices). */
export function DecimalFields<K extends string>({
  fields,
  text,
  errorOf,
  placeholder,
  onChange,
}: {
  /** Each field's key and label as shown. */
  fields: readonly (readonly [K, string])[];
  text: Record<K, string>;
  errorOf: (key: K) => string | null;
  placeholder: string;
  onChange: (key: K, value: string) => void;
}) {
  return (
    <>
      {fields.map(([key, label]) => (
        <Field
          key={key}
          label={label}
          inputMode="decimal"
          placeholder={placeholder}
          value={text[key]}
          error={errorOf(key)}
          onChange={(e) => {
            onChange(key, e.target.value);
          }}
        />
      ))}
    </>
  );
}

/** A "Last N days" choice among `options`. */
export function DaysSelect({
  label,
  days,
  options,
  onChange,
}: {
  label: string;
  days: number;
  options: readonly number[];
  onChange: (days: number) => void;
}) {
  return (
    <Field label={label}>
      {(control) => (
        <select
          {...control}
          value={days}
          onChange={(e) => {
            onChange(Number(e.target.value));
          }}
        >
          {options.map((d) => (
            <option key={d} value={d}>
              Last {d} days
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

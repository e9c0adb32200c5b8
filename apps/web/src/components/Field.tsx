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

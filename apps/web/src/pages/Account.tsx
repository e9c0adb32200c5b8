import { useState, type SyntheticEvent } from 'react';
import * as z from 'zod/mini';
import { Field } from '../components/Field.js';
import { useSession } from '../lib/auth.js';
import { AuthError, changePassword } from '../lib/session.js';

const newPassword = z.string().check(z.minLength(12, 'Use at least 12 characters'));

export function AccountPage() {
  const session = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  const nextError = touched
    ? (newPassword.safeParse(next).error?.issues[0]?.message ?? null)
    : null;

  if (!session.user) {
    return (
      <>
        <h1>Account</h1>
        <p>
          Signed in with an API key{session.keyId ? ` (${session.keyId})` : ''}: there is no
          password to change.
        </p>
      </>
    );
  }
  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    setTouched(true);
    setResult(null);
    if (!current || !newPassword.safeParse(next).success) return;
    setBusy(true);
    try {
      await changePassword(current, next);
      setCurrent('');
      setNext('');
      setTouched(false);
      setResult({ ok: true, message: 'Password changed.' });
    } catch (err) {
      setResult({
        ok: false,
        message:
          err instanceof AuthError && err.status === 401
            ? 'The current password is not right.'
            : err instanceof Error
              ? err.message
              : 'Could not change the password.',
      });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>Account</h1>
      <dl className="facts card">
        <dt>Email</dt>
        <dd>{session.user.email}</dd>
        <dt>Role</dt>
        <dd>{session.user.role}</dd>
        <dt>Organization</dt>
        <dd>{session.orgName}</dd>
      </dl>
      <form className="card auth-card" onSubmit={(e) => void submit(e)} noValidate>
        <h2>Change password</h2>
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          error={touched && !current ? 'Enter your current password' : null}
          onChange={(e) => {
            setCurrent(e.target.value);
          }}
        />
        <Field
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          hint="At least 12 characters."
          error={nextError}
          onChange={(e) => {
            setNext(e.target.value);
            setTouched(true);
          }}
        />
        {result ? (
          <p className={result.ok ? 'notice' : 'form-error'} role={result.ok ? 'status' : 'alert'}>
            {result.message}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Change password'}
        </button>
      </form>
    </>
  );
}

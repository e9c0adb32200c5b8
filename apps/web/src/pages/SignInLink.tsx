import { useState, type SyntheticEvent } from 'react';
// zod/mini: these screens are on the first load, and the full zod would double its script.
import * as z from 'zod/mini';
import { Field } from '../components/Field.js';
import { useAuth } from '../lib/auth.js';
import { AuthError } from '../lib/session.js';

const passwordSchema = z.string().check(z.minLength(12, 'Use at least 12 characters'));

/** The token of a one-time link `/sign-in/link#token=…` (a fragment: never sent to a server). */
export function tokenFromHash(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token');
}

export function SignInLinkPage({ onDone }: { onDone: () => void }) {
  const auth = useAuth();
  const [token] = useState(() => tokenFromHash(window.location.hash));
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const pwError = touched
    ? (passwordSchema.safeParse(password).error?.issues[0]?.message ?? null)
    : null;
  const confirmError =
    touched && confirm !== '' && confirm !== password ? 'The passwords differ' : null;

  const onSubmit = async (e: SyntheticEvent) => {
    e.preventDefault();
    setTouched(true);
    setError(null);
    if (!token || !passwordSchema.safeParse(password).success || confirm !== password) return;
    setBusy(true);
    try {
      await auth.redeemLink(token, password);
      // The token is spent: keep it out of the address bar and the history.
      window.history.replaceState(null, '', '/');
      onDone();
    } catch (err) {
      setBusy(false);
      setError(
        err instanceof AuthError && err.status === 401
          ? 'This link has expired or was already used. Ask an admin for a new one.'
          : err instanceof Error
            ? err.message
            : 'Could not use this link.',
      );
    }
  };

  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={(e) => void onSubmit(e)} noValidate>
        <h1>Set your password</h1>
        {!token ? (
          <p className="form-error" role="alert">
            This sign-in link is incomplete: open the whole link you were given.
          </p>
        ) : (
          <>
            <Field
              label="New password"
              type="password"
              autoComplete="new-password"
              value={password}
              error={pwError}
              hint="At least 12 characters."
              onChange={(e) => {
                setPassword(e.target.value);
                setTouched(true);
              }}
              autoFocus
            />
            <Field
              label="Repeat the password"
              type="password"
              autoComplete="new-password"
              value={confirm}
              error={confirmError}
              onChange={(e) => {
                setConfirm(e.target.value);
              }}
            />
            {error ? (
              <p className="form-error" role="alert">
                {error}
              </p>
            ) : null}
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Signing in…' : 'Set password and sign in'}
            </button>
          </>
        )}
      </form>
    </main>
  );
}

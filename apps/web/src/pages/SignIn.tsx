import { useState, type SyntheticEvent } from 'react';
// zod/mini: these screens are on the first load, and the full zod would double its script.
import * as z from 'zod/mini';
import { Field } from '../components/Field.js';
import { useAuth } from '../lib/auth.js';
import { AuthError } from '../lib/session.js';

// Not z.email(): the first admin is `admin@localhost`, which has no dot in its domain.
const emailSchema = z
  .string()
  .check(z.trim(), z.regex(/^[^\s@]+@[^\s@]+$/, 'Enter an email address like you@example.com'));
const passwordSchema = z.string().check(z.minLength(1, 'Enter your password'));
const apiKeySchema = z
  .string()
  .check(
    z.trim(),
    z.regex(
      /^rk_[a-z0-9]+_[A-Za-z0-9]{16,}$/,
      'An API key looks like rk_live_ followed by letters and digits',
    ),
  );

function check(schema: z.ZodMiniType, value: string): string | null {
  const r = schema.safeParse(value);
  return r.success ? null : (r.error.issues[0]?.message ?? 'Invalid');
}

export function describeSignInError(err: unknown): string {
  if (err instanceof AuthError) {
    if (err.status === 401) return 'Those credentials were not accepted.';
    if (err.status === 429) {
      return err.retryAfterSeconds
        ? `Too many attempts. Try again in ${err.retryAfterSeconds} seconds.`
        : 'Too many attempts. Try again in a minute.';
    }
    return err.message;
  }
  return err instanceof Error ? err.message : 'Sign-in failed.';
}

export function SignInPage() {
  const auth = useAuth();
  const expired = auth.state.status === 'signed-out' && auth.state.reason === 'expired';
  const [withKey, setWithKey] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const errors = withKey
    ? { apiKey: check(apiKeySchema, apiKey) }
    : { email: check(emailSchema, email), password: check(passwordSchema, password) };
  const shown = (name: keyof typeof errors) =>
    submitted || touched[name] ? (errors[name] ?? null) : null;

  const onSubmit = async (e: SyntheticEvent) => {
    e.preventDefault();
    setSubmitted(true);
    setError(null);
    if (Object.values(errors).some(Boolean)) return;
    setBusy(true);
    try {
      if (withKey) await auth.signInWithApiKey(apiKey.trim());
      else await auth.signInWithPassword(email, password);
    } catch (err) {
      setError(describeSignInError(err));
      setBusy(false);
    }
  };

  const typing = (name: string, set: (v: string) => void) => (v: string) => {
    set(v);
    setTouched((t) => ({ ...t, [name]: true }));
  };

  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={(e) => void onSubmit(e)} noValidate>
        <h1>Sign in to Reins</h1>
        {expired ? (
          <p className="notice" role="status">
            Your session has ended. Sign in again.
          </p>
        ) : null}
        {withKey ? (
          <Field
            label="API key"
            name="apiKey"
            type="password"
            autoComplete="off"
            value={apiKey}
            error={shown('apiKey')}
            onChange={(e) => {
              typing('apiKey', setApiKey)(e.target.value);
            }}
            autoFocus
          />
        ) : (
          <>
            <Field
              label="Email"
              name="email"
              type="email"
              autoComplete="username"
              value={email}
              error={shown('email')}
              onChange={(e) => {
                typing('email', setEmail)(e.target.value);
              }}
              autoFocus
            />
            <Field
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              value={password}
              error={shown('password')}
              onChange={(e) => {
                typing('password', setPassword)(e.target.value);
              }}
            />
          </>
        )}
        {error ? (
          <p className="form-error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <button
          type="button"
          className="link-button"
          onClick={() => {
            setWithKey((k) => !k);
            setSubmitted(false);
            setError(null);
          }}
        >
          {withKey ? 'Sign in with email and password' : 'Sign in with an API key'}
        </button>
      </form>
    </main>
  );
}

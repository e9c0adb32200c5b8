import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { AuthProvider, type AuthState } from '../lib/auth.js';
import type { Session } from '../lib/session.js';

export const ADMIN_SESSION: Session = {
  user: { id: 'usr_1', email: 'admin@localhost', name: 'Admin', role: 'admin' },
  keyId: null,
  orgId: 'org_1',
  orgName: 'Acme',
  permissions: ['*'],
  csrfToken: 'csrf-1',
  expiresAt: new Date(Date.now() + 3600_000).toISOString(),
};

/** `ui` inside a fresh QueryClient and an AuthProvider in a known state (no server asked). */
export function renderWith(
  ui: ReactElement,
  auth: AuthState = { status: 'signed-in', session: ADMIN_SESSION },
) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <AuthProvider initial={auth}>{ui}</AuthProvider>
    </QueryClientProvider>,
  );
}

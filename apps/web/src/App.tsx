import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { lazy, Suspense, useState, type ReactNode } from 'react';
import { Redirect, Route, Switch, useLocation } from 'wouter';
import { Layout } from './components/Layout.js';
import { ErrorState, Loading } from './components/states.js';
import { AuthProvider, useAuth, type AuthState } from './lib/auth.js';
import { reportUnauthorized } from './lib/session.js';
import { statusOf } from './lib/trpc.js';
import { SignInPage } from './pages/SignIn.js';
import { SignInLinkPage } from './pages/SignInLink.js';
import { OverviewPage } from './pages/Overview.js';
import { TransactionsPage } from './pages/Transactions.js';
import { ReviewPage } from './pages/Review.js';

// Pages off the first screen load on demand (their chunks are listed by bench:bundle).
const ApiKeysPage = lazy(() =>
  import('./pages/ApiKeys.js').then((m) => ({ default: m.ApiKeysPage })),
);
const AuditLogPage = lazy(() =>
  import('./pages/AuditLog.js').then((m) => ({ default: m.AuditLogPage })),
);
const RulesPage = lazy(() => import('./pages/Rules.js').then((m) => ({ default: m.RulesPage })));
const AccountPage = lazy(() =>
  import('./pages/Account.js').then((m) => ({ default: m.AccountPage })),
);
const BudgetsPage = lazy(() =>
  import('./pages/Budgets.js').then((m) => ({ default: m.BudgetsPage })),
);
const AgentsPage = lazy(() => import('./pages/Agents.js').then((m) => ({ default: m.AgentsPage })));
const VendorsPage = lazy(() =>
  import('./pages/Vendors.js').then((m) => ({ default: m.VendorsPage })),
);
const AlertsPage = lazy(() => import('./pages/Alerts.js').then((m) => ({ default: m.AlertsPage })));
const UsersPage = lazy(() => import('./pages/Users.js').then((m) => ({ default: m.UsersPage })));

/** A 401 from any call ends the session: `onUnauthorized` sends the app back to sign-in. */
export function makeQueryClient(onUnauthorized: () => void): QueryClient {
  const on401 = (err: unknown) => {
    if (statusOf(err) === 401) onUnauthorized();
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError: on401 }),
    mutationCache: new MutationCache({ onError: on401 }),
    defaultOptions: {
      queries: {
        staleTime: 15_000,
        refetchOnWindowFocus: true,
        retry: (count, err) => {
          const status = statusOf(err);
          return count < 2 && (status === null || status >= 500);
        },
      },
    },
  });
}

function Page({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

function SignedInRoutes() {
  return (
    <Layout>
      <Switch>
        <Route path="/">
          <OverviewPage />
        </Route>
        <Route path="/transactions">
          <TransactionsPage />
        </Route>
        <Route path="/review">
          <ReviewPage />
        </Route>
        <Route path="/rules">
          <Page>
            <RulesPage />
          </Page>
        </Route>
        <Route path="/budgets">
          <Page>
            <BudgetsPage />
          </Page>
        </Route>
        <Route path="/agents">
          <Page>
            <AgentsPage />
          </Page>
        </Route>
        <Route path="/vendors">
          <Page>
            <VendorsPage />
          </Page>
        </Route>
        <Route path="/alerts">
          <Page>
            <AlertsPage />
          </Page>
        </Route>
        <Route path="/audit">
          <Page>
            <AuditLogPage />
          </Page>
        </Route>
        <Route path="/keys">
          <Page>
            <ApiKeysPage />
          </Page>
        </Route>
        <Route path="/users">
          <Page>
            <UsersPage />
          </Page>
        </Route>
        <Route path="/account">
          <Page>
            <AccountPage />
          </Page>
        </Route>
        <Route path="/sign-in">
          <Redirect to="/" />
        </Route>
        <Route>
          <h1>Not found</h1>
          <p>There is no page at this address.</p>
        </Route>
      </Switch>
    </Layout>
  );
}

function Gate() {
  const auth = useAuth();
  const [location, navigate] = useLocation();
  if (location === '/sign-in/link') {
    return (
      <SignInLinkPage
        onDone={() => {
          navigate('/');
        }}
      />
    );
  }
  switch (auth.state.status) {
    case 'loading':
      return (
        <main className="auth-page">
          <Loading label="Checking your session…" />
        </main>
      );
    case 'error':
      return (
        <main className="auth-page">
          <ErrorState error={new Error(auth.state.message)} onRetry={auth.retry} />
        </main>
      );
    case 'signed-out':
      return <SignInPage />;
    case 'signed-in':
      return <SignedInRoutes />;
  }
}

export function App({ initialAuth }: { initialAuth?: AuthState }) {
  const [queryClient] = useState(() => makeQueryClient(reportUnauthorized));
  return (
    <QueryClientProvider client={queryClient}>
      <AuthProvider initial={initialAuth}>
        <Gate />
      </AuthProvider>
    </QueryClientProvider>
  );
}

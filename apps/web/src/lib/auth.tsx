import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { useQueryClient } from '@tanstack/react-query';
import {
  can,
  forgetCredentials,
  onUnauthorized,
  probeSession,
  redeemLink,
  signInWithApiKey,
  signInWithPassword,
  signOut as endSession,
  type Session,
} from './session.js';

export type AuthState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'signed-out'; reason?: 'expired' | 'signed-out' }
  | { status: 'signed-in'; session: Session };

export interface Auth {
  state: AuthState;
  signInWithPassword: (email: string, password: string) => Promise<void>;
  signInWithApiKey: (apiKey: string) => Promise<void>;
  redeemLink: (token: string, password: string) => Promise<void>;
  signOut: () => Promise<void>;
  /** The server said 401 to a call: the session is over. */
  expire: () => void;
  retry: () => void;
}

const AuthContext = createContext<Auth | null>(null);

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside <AuthProvider>');
  return auth;
}

export function useSession(): Session {
  const { state } = useAuth();
  if (state.status !== 'signed-in') throw new Error('useSession while signed out');
  return state.session;
}

/** Whether the session may do `permission` (hide what it may not). */
export function useCan(permission: string): boolean {
  const { state } = useAuth();
  return state.status === 'signed-in' && can(state.session, permission);
}

export function AuthProvider({
  children,
  initial,
}: {
  children: ReactNode;
  /** Tests start from a known state instead of asking the server. */
  initial?: AuthState;
}) {
  const [state, setState] = useState<AuthState>(initial ?? { status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const queryClient = useQueryClient();

  useEffect(() => {
    if (initial) return;
    let live = true;
    probeSession().then(
      (probe) => {
        if (!live) return;
        if (probe.kind === 'signed-in') {
          setState({ status: 'signed-in', session: probe.session });
        } else {
          setState({ status: 'signed-out' });
        }
      },
      (err: unknown) => {
        if (live) {
          setState({
            status: 'error',
            message: err instanceof Error ? err.message : 'The server could not be reached.',
          });
        }
      },
    );
    return () => {
      live = false;
    };
  }, [attempt, initial]);

  const signedIn = useCallback(
    (session: Session) => {
      queryClient.clear();
      setState({ status: 'signed-in', session });
    },
    [queryClient],
  );

  const expire = useCallback(() => {
    forgetCredentials();
    queryClient.clear();
    setState((s) => (s.status === 'signed-in' ? { status: 'signed-out', reason: 'expired' } : s));
  }, [queryClient]);

  // Any call answered 401 (reported by the QueryClient's caches) ends the session.
  useEffect(() => onUnauthorized(expire), [expire]);

  // The session's end as the server last said it (idle timeout or absolute end, the sooner): then
  // the server is asked again — calls since have moved an idle end — and a 401 signs out, without
  // waiting for a page's call to fail.
  const expiresAt =
    state.status === 'signed-in' && state.session.expiresAt !== null
      ? Date.parse(state.session.expiresAt)
      : NaN;
  useEffect(() => {
    if (Number.isNaN(expiresAt)) return;
    let live = true;
    const ms = Math.min(expiresAt - Date.now() + 1000, 2 ** 31 - 1);
    const timer = setTimeout(
      () => {
        probeSession().then(
          (probe) => {
            if (!live) return;
            if (probe.kind === 'signed-in')
              setState({ status: 'signed-in', session: probe.session });
            else expire();
          },
          () => {
            // Unreachable for now: the next call that fails says what happened.
          },
        );
      },
      Math.max(ms, 0),
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [expiresAt, expire]);

  const auth = useMemo<Auth>(
    () => ({
      state,
      async signInWithPassword(email, password) {
        signedIn(await signInWithPassword(email, password));
      },
      async signInWithApiKey(apiKey) {
        signedIn(await signInWithApiKey(apiKey));
      },
      async redeemLink(token, password) {
        signedIn(await redeemLink(token, password));
      },
      async signOut() {
        try {
          await endSession();
        } finally {
          queryClient.clear();
          setState({ status: 'signed-out', reason: 'signed-out' });
        }
      },
      expire,
      retry() {
        setState({ status: 'loading' });
        setAttempt((n) => n + 1);
      },
    }),
    [state, signedIn, expire, queryClient],
  );
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

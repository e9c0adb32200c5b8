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
import { describeBearerKey } from './devSession.js';
import {
  can,
  currentMode,
  forgetCredentials,
  onUnauthorized,
  probeSession,
  redeemLink,
  signInWithApiKey,
  signInWithPassword,
  signOut as endSession,
  type AuthMode,
  type Session,
} from './session.js';

export type AuthState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'signed-out'; authAvailable: boolean; reason?: 'expired' | 'signed-out' }
  | { status: 'signed-in'; session: Session; mode: AuthMode };

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
  const [authAvailable, setAuthAvailable] = useState(true);
  const queryClient = useQueryClient();

  useEffect(() => {
    if (initial) return;
    let live = true;
    probeSession().then(
      (probe) => {
        if (!live) return;
        if (probe.kind === 'signed-in') {
          setState({ status: 'signed-in', session: probe.session, mode: 'cookie' });
        } else {
          setAuthAvailable(probe.authAvailable);
          setState({ status: 'signed-out', authAvailable: probe.authAvailable });
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
      setState({ status: 'signed-in', session, mode: currentMode() });
    },
    [queryClient],
  );

  const expire = useCallback(() => {
    forgetCredentials();
    queryClient.clear();
    setState((s) =>
      s.status === 'signed-in' ? { status: 'signed-out', authAvailable, reason: 'expired' } : s,
    );
  }, [authAvailable, queryClient]);

  // Any call answered 401 (reported by the QueryClient's caches) ends the session.
  useEffect(() => onUnauthorized(expire), [expire]);

  // The session's absolute end: back to sign-in then, without waiting for a 401.
  const expiresAt = state.status === 'signed-in' ? Date.parse(state.session.expiresAt) : NaN;
  useEffect(() => {
    if (Number.isNaN(expiresAt)) return;
    const ms = Math.min(expiresAt - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(expire, Math.max(ms, 0));
    return () => {
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
        signedIn(await signInWithApiKey(apiKey, describeBearerKey));
      },
      async redeemLink(token, password) {
        signedIn(await redeemLink(token, password));
      },
      async signOut() {
        try {
          await endSession();
        } finally {
          queryClient.clear();
          setState({ status: 'signed-out', authAvailable, reason: 'signed-out' });
        }
      },
      expire,
      retry() {
        setState({ status: 'loading' });
        setAttempt((n) => n + 1);
      },
    }),
    [state, signedIn, expire, queryClient, authAvailable],
  );
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

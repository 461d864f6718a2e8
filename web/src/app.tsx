/** Signed out: the login screen. Signed in: the chat, on a ChatStore that lives as long as the session. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, type User } from '../../src/client/index.js';
import { AuthScreen } from './components/auth-screen.js';
import { Shell } from './components/shell.js';
import { Toasts } from './components/toasts.js';
import { createApi, saveToken, savedToken } from './session.js';
import { ChatStore } from './store/chat-store.js';
import { StoreContext } from './store/hooks.js';
import { toast } from './toasts.js';

type Session = { phase: 'signed-out' } | { phase: 'loading'; token: string } | { phase: 'signed-in'; token: string; user: User };

export function App() {
  const [session, setSession] = useState<Session>(() => {
    const token = savedToken();
    return token ? { phase: 'loading', token } : { phase: 'signed-out' };
  });

  const signOut = useCallback((reason?: string) => {
    saveToken(null);
    setSession({ phase: 'signed-out' });
    if (reason) toast(reason, 'info');
  }, []);

  const token = session.phase === 'signed-out' ? null : session.token;
  const api = useMemo(() => (token ? createApi(token, () => signOut('Your session has ended; please sign in again.')) : null), [token, signOut]);

  // A saved token: check it, retrying while the server is unreachable.
  useEffect(() => {
    if (session.phase !== 'loading' || !api) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = (delay: number) => {
      api.me().then(
        (user) => !cancelled && setSession({ phase: 'signed-in', token: session.token, user }),
        (err: unknown) => {
          if (cancelled) return;
          if (err instanceof ApiError && err.status === 401) return signOut();
          timer = setTimeout(() => attempt(Math.min(delay * 2, 15_000)), delay);
        },
      );
    };
    attempt(1000);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [session, api, signOut]);

  const store = useMemo(() => (session.phase === 'signed-in' && api ? new ChatStore(api, session.user) : null), [session, api]);
  useEffect(() => {
    if (!store) return;
    // The socket's token was refused (revoked, expired): as for a 401, back to the login screen.
    const offAuth = store.realtime.on('authFailed', () => signOut('Your session has ended; please sign in again.'));
    store.start().catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 401)) toast('Could not load your conversations; retrying when the connection is back.');
    });
    return () => {
      offAuth();
      store.stop();
    };
  }, [store, signOut]);

  let screen;
  if (session.phase === 'signed-out') {
    screen = <AuthScreen onSignedIn={(t, user) => {
      saveToken(t);
      setSession({ phase: 'signed-in', token: t, user });
    }} />;
  } else if (!store) {
    screen = (
      <div className="splash" data-testid="splash" role="status">
        <div className="spinner" aria-hidden="true" />
        Connecting to Parley…
      </div>
    );
  } else {
    screen = (
      <StoreContext.Provider value={store}>
        <Shell onSignOut={signOut} />
      </StoreContext.Provider>
    );
  }
  return (
    <>
      {screen}
      <Toasts />
    </>
  );
}

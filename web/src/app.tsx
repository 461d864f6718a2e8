/** Signed out: the login screen. Signed in: the chat, on a ChatStore that lives as long as the session. */
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import { ApiError, type User } from '../../src/client/index.js';
import { clearAuthLink, useAuthLink } from './auth-links.js';
import { Shell } from './components/shell.js';
import { Toasts } from './components/toasts.js';
import { createApi, forgetLegacyToken } from './session.js';
import { ChatStore } from './store/chat-store.js';
import { StoreContext } from './store/hooks.js';
import { toast } from './toasts.js';
import { useTranslation } from 'react-i18next';
import { setLocale, withStrings } from './i18n/index.js';
import { applyTheme } from './theme.js';

// Signed out only (or a reset link): a signed-in start, the usual one, does not load them.
const AuthScreen = lazy(withStrings(() => import('./components/auth-screen.js').then((m) => ({ default: m.AuthScreen }))));
const ResetPasswordForm = lazy(withStrings(() => import('./components/password-reset-forms.js').then((m) => ({ default: m.ResetPasswordForm }))));

/** `loading`: asking the server whether the session cookie holds a session (GET /auth/session). */
type Session = { phase: 'signed-out' } | { phase: 'loading' } | { phase: 'signed-in'; user: User };

export function App() {
  const { t } = useTranslation();
  const [session, setSession] = useState<Session>({ phase: 'loading' });
  const link = useAuthLink();

  const signOut = useCallback((reason?: string) => {
    setSession({ phase: 'signed-out' });
    if (reason) toast(reason, 'info');
  }, []);

  // One client for the whole page: the session is the HttpOnly cookie, its CSRF token is learnt below.
  const api = useMemo(() => createApi(null, () => signOut(t('app.sessionEnded'))), [signOut]);
  useEffect(() => forgetLegacyToken(), []);

  // Is this browser signed in? Ask (this also tells the CSRF token), retrying while the server is unreachable.
  useEffect(() => {
    if (session.phase !== 'loading') return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const attempt = (delay: number) => {
      api.session().then(
        ({ user }) => {
          if (cancelled) return;
          // The account's saved language wins over the browser's.
          if (user?.locale) void setLocale(user.locale);
          // And its theme; signed out, the one this browser last showed stays.
          if (user) applyTheme(user.theme);
          setSession(user ? { phase: 'signed-in', user } : { phase: 'signed-out' });
        },
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

  const store = useMemo(() => (session.phase === 'signed-in' ? new ChatStore(api, session.user) : null), [session, api]);
  useEffect(() => {
    if (!store) return;
    // The socket's token was refused (revoked, expired): as for a 401, back to the login screen.
    const offAuth = store.realtime.on('authFailed', () => signOut(t('app.sessionEnded')));
    // A custom slash command's integration answered later, for this user alone (never stored): shown once, like its first answer.
    const offCommand = store.realtime.on('commandResponse', (f) => toast(`${f.command}: ${f.text}`, 'info'));
    store.start().catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 401)) toast(t('app.loadFailed'));
    });
    return () => {
      offAuth();
      offCommand();
      store.stop();
    };
  }, [store, signOut]);

  const splash = (
    <div className="splash" data-testid="splash" role="status">
      <div className="spinner" aria-hidden="true" />
      {t('app.connecting')}
    </div>
  );
  let screen;
  if (session.phase === 'signed-out') {
    // Signed in: the cookie is set; the page's client learns the session's CSRF token, then the chat opens.
    screen = <AuthScreen onSignedIn={() => setSession({ phase: 'loading' })} />;
  } else if (session.phase === 'signed-in' && link?.kind === 'reset') {
    // A reset link opened in a browser that is signed in (perhaps as someone else): the link wins.
    // A reset signs its account out everywhere, so the session is asked again afterwards.
    screen = (
      <ResetPasswordForm
        api={api}
        code={link.code}
        backLabel={t('app.backToParley')}
        onDone={(message) => {
          clearAuthLink();
          if (message) {
            toast(message, 'info');
            setSession({ phase: 'loading' });
          }
        }}
      />
    );
  } else if (!store) {
    screen = splash;
  } else {
    screen = (
      <StoreContext.Provider value={store}>
        <Shell onSignOut={signOut} />
      </StoreContext.Provider>
    );
  }
  return (
    <>
      <Suspense fallback={splash}>{screen}</Suspense>
      <Toasts />
    </>
  );
}

/** The connection state: a badge in the sidebar, and a banner while not connected. */
import { useEffect, useState } from 'react';
import { useChat, useStore } from '../store/hooks.js';
import { useTranslation } from 'react-i18next';


function useSecondsUntil(at: number | null): number | null {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (at === null) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [at]);
  return at === null ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

export function ConnectionState() {
  const { t } = useTranslation();
  const state = useChat((s) => s.connection);
  return (
    <span className={`conn conn-${state}`} data-testid="connection-state" data-state={state} role="status" aria-live="polite">
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">{t(`connection.state.${state}`)}</span>
    </span>
  );
}

/** A server that stopped speaking this client's protocol: nothing works until a reload. */
export function OutdatedNotice() {
  const { t } = useTranslation();
  const outdated = useChat((s) => s.outdated);
  const newer = useChat((s) => s.newerServer);
  if (outdated) {
    return (
      <div className="banner banner-closed" data-testid="outdated-banner" role="alert">
        {t('connection.outdated')} {outdated}{' '}
        <button type="button" className="btn-link" data-testid="reload-now" onClick={() => window.location.reload()}>
          {t('connection.reloadNow')}
        </button>
      </div>
    );
  }
  if (newer) {
    return (
      <div className="banner" data-testid="update-banner" role="status">
        {t('connection.newVersion', { version: newer })}{' '}
        <button type="button" className="btn-link" data-testid="reload-update" onClick={() => window.location.reload()}>
          {t('connection.reload')}
        </button>
      </div>
    );
  }
  return null;
}

export function ConnectionBanner() {
  const { t } = useTranslation();
  const store = useStore();
  const state = useChat((s) => s.connection);
  const retryAt = useChat((s) => s.retryAt);
  const reason = useChat((s) => s.offlineReason);
  const inboxLoaded = useChat((s) => s.inboxLoaded);
  const seconds = useSecondsUntil(state === 'offline' ? retryAt : null);
  if (state === 'online' || state === 'syncing' || (state === 'connecting' && !inboxLoaded)) return null;
  return (
    <div className={`banner banner-${state}`} data-testid="connection-banner" role="status">
      {state === 'offline' && (
        <>
          {t('connection.lost')}
          {reason ? <span data-testid="connection-reason"> {reason}</span> : null} {seconds ? t('connection.reconnectingIn', { seconds }) : t('connection.reconnecting')}{' '}
          <button type="button" className="btn-link" data-testid="reconnect-now" onClick={() => store.realtime.reconnectNow()}>
            {t('connection.retryNow')}
          </button>
        </>
      )}
      {state === 'connecting' && <>{t('connection.connecting')}</>}
      {state === 'closed' && <>{t('connection.disconnected')}</>}
    </div>
  );
}

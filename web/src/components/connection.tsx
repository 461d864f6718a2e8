/** The connection state: a badge in the sidebar, and a banner while not connected. */
import { useEffect, useState } from 'react';
import type { RealtimeState } from '../../../src/client/index.js';
import { useChat, useStore } from '../store/hooks.js';

const LABEL: Record<RealtimeState, string> = {
  connecting: 'Connecting…',
  syncing: 'Syncing…',
  online: 'Online',
  offline: 'Reconnecting…',
  closed: 'Offline',
};

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
  const state = useChat((s) => s.connection);
  return (
    <span className={`conn conn-${state}`} data-testid="connection-state" data-state={state} role="status" aria-live="polite">
      <span className="conn-dot" aria-hidden="true" />
      <span className="conn-label">{LABEL[state]}</span>
    </span>
  );
}

/** A server that stopped speaking this client's protocol: nothing works until a reload. */
export function OutdatedNotice() {
  const outdated = useChat((s) => s.outdated);
  const newer = useChat((s) => s.newerServer);
  if (outdated) {
    return (
      <div className="banner banner-closed" data-testid="outdated-banner" role="alert">
        Parley has been updated and this page is too old to talk to it. {outdated}{' '}
        <button type="button" className="btn-link" data-testid="reload-now" onClick={() => window.location.reload()}>
          Reload now
        </button>
      </div>
    );
  }
  if (newer) {
    return (
      <div className="banner" data-testid="update-banner" role="status">
        A new version of Parley ({newer}) is available.{' '}
        <button type="button" className="btn-link" data-testid="reload-update" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
  return null;
}

export function ConnectionBanner() {
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
          Connection lost.{reason ? <span data-testid="connection-reason"> {reason}</span> : null} Reconnecting{seconds ? ` in ${seconds} s` : '…'}; messages you send are kept and sent once it is back.{' '}
          <button type="button" className="btn-link" data-testid="reconnect-now" onClick={() => store.realtime.reconnectNow()}>
            Retry now
          </button>
        </>
      )}
      {state === 'connecting' && <>Connecting…</>}
      {state === 'closed' && <>Disconnected.</>}
    </div>
  );
}

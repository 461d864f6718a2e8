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

export function ConnectionBanner() {
  const store = useStore();
  const state = useChat((s) => s.connection);
  const retryAt = useChat((s) => s.retryAt);
  const inboxLoaded = useChat((s) => s.inboxLoaded);
  const seconds = useSecondsUntil(state === 'offline' ? retryAt : null);
  if (state === 'online' || state === 'syncing' || (state === 'connecting' && !inboxLoaded)) return null;
  return (
    <div className={`banner banner-${state}`} data-testid="connection-banner" role="status">
      {state === 'offline' && (
        <>
          Connection lost. Reconnecting{seconds ? ` in ${seconds} s` : '…'}; messages you send are kept and sent once it is back.{' '}
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

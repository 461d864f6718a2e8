/**
 * What a user's name carries besides itself: their status emoji (its text on hover), a moon while
 * they do not want to be disturbed, and an APP badge for bots and integrations. Used in the
 * timeline, the member list, direct conversations in the sidebar and the profile.
 */
import { useEffect, useState } from 'react';
import type { User } from '../../../src/client/index.js';
import { formatFull } from '../format.js';
import './user-status.css';
import { useTranslation } from 'react-i18next';

type StatusUser = Pick<User, 'status' | 'dndUntil' | 'bot'>;

/** The status while it lasts (the server drops it at expiresAt; a client may still hold it). */
export function liveStatus(u: StatusUser | undefined | null, now = Date.now()): NonNullable<User['status']> | null {
  const s = u?.status;
  if (!s || (!s.emoji && !s.text)) return null;
  if (s.expiresAt && Date.parse(s.expiresAt) <= now) return null;
  return s;
}

/** Until when the user does not want to be disturbed, while that is still ahead. */
export function dndUntil(u: StatusUser | undefined | null, now = Date.now()): string | null {
  return u?.dndUntil && Date.parse(u.dndUntil) > now ? u.dndUntil : null;
}

/** The next time the status or the pause ends by itself (the server sends nothing then). */
function nextEnd(u: StatusUser | undefined | null): number | null {
  const ends = [u?.status?.expiresAt, u?.dndUntil].filter((x): x is string => Boolean(x)).map((x) => Date.parse(x)).filter((t) => t > Date.now());
  return ends.length > 0 ? Math.min(...ends) : null;
}

/** The current time, renewed once `end` has passed, so what ended then goes away. */
function useNowUntil(end: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (end === null) return;
    const t = setTimeout(() => setNow(Date.now()), Math.min(Math.max(end - Date.now(), 0) + 250, 2 ** 31 - 1));
    return () => clearTimeout(t);
  }, [end]);
  return Math.max(now, Date.now());
}

/** The status emoji (or 💬 for a text-only status) with its text as a tooltip, and the DND moon. */
export function UserStatus({ user, withText = false }: { user: StatusUser | undefined | null; withText?: boolean }) {
  const { t } = useTranslation();
  const now = useNowUntil(nextEnd(user));
  const status = liveStatus(user, now);
  const dnd = dndUntil(user, now);
  if (!status && !dnd) return null;
  const label = status ? [status.emoji, status.text].filter(Boolean).join(' ') : '';
  return (
    <span className="user-status">
      {status && (
        <span className="user-status-emoji" data-testid="user-status" title={status.text ?? undefined} aria-label={t('status.statusLabel', { label })}>
          {status.emoji ?? '💬'}
          {withText && status.text && <span className="user-status-text"> {status.text}</span>}
        </span>
      )}
      {dnd && (
        <span className="user-dnd" data-testid="user-dnd" title={t('status.pausedUntil', { when: formatFull(dnd) })} aria-label={t('status.dnd')}>
          ☾
        </span>
      )}
    </span>
  );
}

/** A small APP badge next to a bot's or an integration's name. */
export function AppBadge({ user }: { user: Pick<User, 'bot'> | undefined | null }) {
  const { t } = useTranslation();
  if (!user?.bot) return null;
  return (
    <span className="app-badge" data-testid="app-badge" title={t('status.appHint')}>
      {t('status.app')}
    </span>
  );
}

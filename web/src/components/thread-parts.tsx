/** The small pieces threads add to messages: a root's "3 replies" bar, and a reply's "replied to a thread" link. */
import { useSyncExternalStore } from 'react';
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import { markdownToPlainText, PREVIEW_SOURCE_MAX } from '../../../src/protocol/markdown.js';
import type { Message, ThreadSummary, User } from '../../../src/client/index.js';
import { formatFull, formatRelative } from '../format.js';
import { Avatar } from './avatar.js';
import './threads.css';
import { useTranslation } from 'react-i18next';
import { t } from '../i18n/index.js';

/** One clock for every "Last reply 5 minutes ago" on the page, ticking each minute while shown. */
const minuteListeners = new Set<() => void>();
let minuteTimer: ReturnType<typeof setInterval> | null = null;
let minuteNow = Date.now();
function subscribeMinute(listener: () => void): () => void {
  minuteListeners.add(listener);
  minuteTimer ??= setInterval(() => {
    minuteNow = Date.now();
    for (const l of minuteListeners) l();
  }, 60_000);
  return () => {
    minuteListeners.delete(listener);
    if (minuteListeners.size === 0 && minuteTimer) {
      clearInterval(minuteTimer);
      minuteTimer = null;
    }
  };
}

/** Re-renders the caller each minute, so relative times ("5 minutes ago") stay true. */
export function useMinute(): number {
  return useSyncExternalStore(subscribeMinute, () => minuteNow);
}

/** "1 reply", "12 replies". */
export function repliesText(n: number): string {
  return t('threads.replies', { count: n });
}

/** A message as one line of plain text (no Markdown), for excerpts. */
export function plainExcerpt(m: Message | undefined, max = 140): string {
  if (!m) return '';
  if (m.deletedAt) return t('messages.deleted');
  const text = neutralizeBidi(markdownToPlainText(m.body, { maxSource: PREVIEW_SOURCE_MAX })).replace(/\s+/g, ' ').trim() || (m.attachments[0] ? `📎 ${m.attachments[0].filename}` : '');
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Up to five repliers' avatars, most recent first. */
export function Participants({ ids, users }: { ids: readonly string[]; users: Record<string, User> }) {
  return (
    <span className="thread-participants" data-testid="thread-participants" data-count={Math.min(ids.length, 5)}>
      {ids.slice(0, 5).map((id) => (
        <span key={id} className="thread-participant" data-testid="thread-participant" data-user-id={id} title={users[id]?.displayName ?? ''}>
          <Avatar user={users[id] ?? { id, displayName: '?', avatarUrl: null, online: false }} size="sm" />
        </span>
      ))}
    </span>
  );
}

/** Under a root with replies: who replied, how many, and when last; opens the thread. */
export function ThreadSummaryBar({ summary, users, onOpen }: { summary: ThreadSummary; users: Record<string, User>; onOpen: () => void }) {
  const { t } = useTranslation();
  useMinute();
  const count = repliesText(summary.replyCount);
  const last = summary.lastReplyAt;
  return (
    <button type="button" className="thread-summary" data-testid="thread-summary" data-reply-count={summary.replyCount} onClick={onOpen}>
      {/* Named by what it shows (no aria-label to differ from it): the count and the last reply's time. */}
      <Participants ids={summary.participantIds} users={users} />
      <span className="thread-summary-count" data-testid="thread-reply-count">
        {count}
      </span>{' '}
      {last && (
        <time className="thread-summary-time" dateTime={last} title={formatFull(last)} data-testid="thread-last-reply">
          {t('threads.lastReply', { when: formatRelative(last) })}
        </time>
      )}
    </button>
  );
}

/** Over a reply also sent to the conversation: which thread it answers; opens it. */
export function ThreadLink({ root, onOpen }: { root: Message | undefined; onOpen: () => void }) {
  const { t } = useTranslation();
  const excerpt = plainExcerpt(root, 80);
  return (
    <button type="button" className="thread-link" data-testid="thread-link" onClick={onOpen}>
      <span className="thread-link-label">{t('threads.repliedTo')}</span>
      {excerpt && <span className="thread-link-root">: {excerpt}</span>}
    </button>
  );
}

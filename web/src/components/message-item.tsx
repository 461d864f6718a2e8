/** One message in the list: author and time, reply quote, text, files, reactions, and its actions. */
import { lazy, memo, Suspense, useState } from 'react';
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import { markdownToPlainText, PREVIEW_SOURCE_MAX } from '../../../src/protocol/markdown.js';
import type { Message, User } from '../../../src/client/index.js';
import { formatFull, formatTime } from '../format.js';
import type { PendingMessage } from '../store/types.js';
import { Attachments, PendingAttachments } from './attachments.js';
import { AppBadge, UserStatus } from './user-status.js';
import { Avatar } from './avatar.js';
import { QUICK_REACTIONS } from './quick-reactions.js';
import { EmojiGlyph, useEmojiImages } from '../custom-emoji.js';
import { EditIcon, ReplyIcon, SmileIcon, ThreadIcon, TrashIcon } from './icons.js';
import { MessageBody } from './message-body.js';
import { LinkPreviews } from './link-preview.js';
import { ThreadLink, ThreadSummaryBar } from './thread-parts.js';
import { useTranslation } from 'react-i18next';
import { withStrings } from '../i18n/index.js';

// The picker (every emoji and its names) is a chunk of its own, loaded the first time it opens.
const EmojiPicker = lazy(withStrings(() => import('./emoji-picker.js').then((m) => ({ default: m.EmojiPicker }))));

export interface MessageActions {
  reply(m: Message): void;
  edit(m: Message): void;
  remove(m: Message): void;
  react(m: Message, emoji: string): void;
  jumpTo(messageId: string): void;
  retry(p: PendingMessage): void;
  discard(p: PendingMessage): void;
  /** Present when the reader may pin here (group admins; direct conversations): pins or unpins. */
  togglePin?(m: Message, pin: boolean): void;
  /** Messages pinned in this conversation (once its pins are loaded). */
  pinnedIds?: ReadonlySet<string>;
  /** The sender removes a link preview of their message. */
  removePreview?(m: Message, url: string): void;
  /**
   * In the conversation's timeline (not inside a thread): opens a thread's panel. Top-level
   * messages get "Reply in thread" and, with replies, their summary; replies also sent to the
   * conversation link to their thread.
   */
  openThread?(rootId: string): void;
}

interface CommonProps {
  grouped: boolean;
  sender: User | undefined;
  me: User;
  users: Record<string, User>;
  actions: MessageActions;
  focusable: boolean;
}

function Quote({ original, users, onJump }: { original: Message | undefined; users: Record<string, User>; onJump: () => void }) {
  const { t } = useTranslation();
  const who = original ? (users[original.senderId]?.displayName ?? t('common.someone')) : null;
  const text = !original ? t('common.loading') : original.deletedAt ? t('messages.deleted') : neutralizeBidi(markdownToPlainText(original.body, { maxSource: PREVIEW_SOURCE_MAX })) || (original.attachments[0] ? `📎 ${original.attachments[0].filename}` : '');
  return (
    <button type="button" className="reply-quote" data-testid="reply-quote" data-reply-to={original?.id} onClick={onJump} aria-label={t('messages.replyTo', { name: who ?? t('common.aMessage') })}>
      {who && <span className="reply-quote-author">{who}</span>}
      <span className="reply-quote-text">{text.length > 140 ? `${text.slice(0, 140)}…` : text}</span>
    </button>
  );
}

export interface MessageItemProps extends CommonProps {
  message: Message;
  /** The sender's display name could be taken for someone else's here: show the @username too. */
  ambiguous?: boolean;
  original: Message | undefined;
  canDelete: boolean;
  seen: boolean;
  /** A reply also sent to the conversation: its thread's root, when loaded. */
  threadRoot?: Message | undefined;
  /** The element's id is this plus the message id (a reply can be shown in the timeline and in its thread at once). */
  idPrefix?: string;
}

export const MessageItem = memo(function MessageItem({ message: m, original, grouped, sender, me, users, actions, canDelete, seen, focusable, ambiguous, threadRoot, idPrefix = 'msg-' }: MessageItemProps) {
  const { t } = useTranslation();
  const [picker, setPicker] = useState(false);
  const images = useEmojiImages();
  const own = m.senderId === me.id;
  const deleted = m.deletedAt !== null;
  const mentioned = new Set(m.mentions.map((id) => users[id]?.username.toLowerCase()).filter((n): n is string => Boolean(n)));
  // @all / @here stored with mentions were allowed and expanded by the server.
  if (m.mentions.length > 0) for (const word of ['all', 'here']) mentioned.add(word);
  const name = sender?.displayName ?? t('messages.unknownUser');
  return (
    <div
      id={`${idPrefix}${m.id}`}
      className={`msg${grouped ? ' grouped' : ''}${own ? ' own' : ''}${deleted ? ' deleted' : ''}${m.mentions.includes(me.id) ? ' mentions-me' : ''}`}
      data-testid="message"
      data-message-id={m.id}
      data-seq={m.seq}
      data-client-msg-id={m.clientMsgId ?? undefined}
      data-sender-id={m.senderId}
      data-thread-id={m.threadId ?? undefined}
      data-status="sent"
      tabIndex={focusable ? 0 : -1}
      aria-label={`${name}, ${formatFull(m.createdAt)}`}
    >
      <div className="msg-gutter">
        {grouped ? (
          <time className="msg-time-hover" dateTime={m.createdAt} title={formatFull(m.createdAt)}>
            {formatTime(m.createdAt)}
          </time>
        ) : (
          <Avatar user={sender} />
        )}
      </div>
      <div className="msg-main">
        {!grouped && (
          <div className="msg-head">
            <span className="msg-author" data-testid="message-author">
              {name}
            </span>
            <AppBadge user={sender} />
            <UserStatus user={sender} />
            {ambiguous && sender && (
              <span className="msg-username" data-testid="message-username" title={t('messages.ambiguous')}>
                @{sender.username}
              </span>
            )}
            <time className="msg-time" dateTime={m.createdAt} title={formatFull(m.createdAt)}>
              {formatTime(m.createdAt)}
            </time>
          </div>
        )}
        {m.threadId && m.alsoInConversation && actions.openThread && <ThreadLink root={threadRoot} onOpen={() => actions.openThread!(m.threadId!)} />}
        {m.replyTo && !deleted && <Quote original={original} users={users} onJump={() => actions.jumpTo(m.replyTo!)} />}
        {deleted ? (
          <p className="msg-tombstone" data-testid="message-deleted">
            {t('messages.tombstone')}
          </p>
        ) : (
          <>
            {m.body && (
              <div className="msg-body" data-testid="message-body" dir="auto">
                <MessageBody text={m.body} mentioned={mentioned} me={me.username.toLowerCase()} />
                {m.editedAt && (
                  <span className="msg-edited" data-testid="message-edited" title={t('messages.editedAt', { when: formatFull(m.editedAt) })}>
                    {' '}
                    {t('messages.edited')}
                  </span>
                )}
              </div>
            )}
            <Attachments items={m.attachments} />
            <LinkPreviews message={m} own={own} onRemove={actions.removePreview && ((url) => actions.removePreview!(m, url))} />
          </>
        )}
        {m.reactions.length > 0 && (
          <div className="reactions" data-testid="reactions">
            {m.reactions.map((r) => (
              <button
                key={r.emoji}
                type="button"
                className={`reaction${r.me ? ' me' : ''}`}
                data-testid="reaction"
                data-emoji={r.emoji}
                data-count={r.count}
                data-me={r.me ? 'true' : 'false'}
                aria-pressed={r.me}
                aria-label={t(r.me ? 'messages.reactionWithYou' : 'messages.reaction', { emoji: r.emoji, count: r.count })}
                onClick={() => actions.react(m, r.emoji)}
              >
                <span>
                  <EmojiGlyph emoji={r.emoji} images={images} />
                </span>{' '}
                <span className="reaction-count">{r.count}</span>
              </button>
            ))}
          </div>
        )}
        {m.threadId && m.alsoInConversation && !actions.openThread && (
          <span className="thread-also-sent muted" data-testid="thread-also-sent">
            {t('messages.alsoSent')}
          </span>
        )}
        {/* A deleted root keeps its thread readable. */}
        {m.threadId === null && m.thread && m.thread.replyCount > 0 && actions.openThread && <ThreadSummaryBar summary={m.thread} users={users} onOpen={() => actions.openThread!(m.id)} />}
        {seen && (
          <span className="seen" data-testid="seen-marker">
            {t('messages.seen')}
          </span>
        )}
      </div>
      {!deleted && (
        <div className="msg-actions" role="toolbar" aria-label={t('messages.actions')} data-testid="message-actions">
          {QUICK_REACTIONS.slice(0, 3).map((e) => (
            <button key={e} type="button" className="icon-btn quick-react" aria-label={t('messages.reactWith', { emoji: e })} data-testid="quick-reaction" data-emoji={e} onClick={() => actions.react(m, e)}>
              {e}
            </button>
          ))}
          <button type="button" className="icon-btn" aria-label={t('messages.addReaction')} aria-haspopup="dialog" aria-expanded={picker} data-testid="action-react" onClick={() => setPicker(!picker)}>
            <SmileIcon />
          </button>
          <button type="button" className="icon-btn" aria-label={t('common.reply')} title={t('common.reply')} data-testid="action-reply" onClick={() => actions.reply(m)}>
            <ReplyIcon />
          </button>
          {m.threadId === null && actions.openThread && (
            <button type="button" className="icon-btn" aria-label={t('messages.replyInThread')} title={t('messages.replyInThread')} data-testid="action-thread" onClick={() => actions.openThread!(m.id)}>
              <ThreadIcon />
            </button>
          )}
          {own && (
            <button type="button" className="icon-btn" aria-label={t('common.edit')} title={t('common.edit')} data-testid="action-edit" onClick={() => actions.edit(m)}>
              <EditIcon />
            </button>
          )}
          {actions.togglePin && (
            <button
              type="button"
              className="icon-btn"
              aria-label={actions.pinnedIds?.has(m.id) ? t('common.unpin') : t('common.pin')}
              title={actions.pinnedIds?.has(m.id) ? t('common.unpin') : t('common.pin')}
              data-testid="action-pin"
              data-pinned={actions.pinnedIds?.has(m.id) ? 'true' : 'false'}
              onClick={() => actions.togglePin!(m, !actions.pinnedIds?.has(m.id))}
            >
              📌
            </button>
          )}
          {canDelete && (
            <button type="button" className="icon-btn danger" aria-label={t('common.delete')} title={t('common.delete')} data-testid="action-delete" onClick={() => actions.remove(m)}>
              <TrashIcon />
            </button>
          )}
          {picker && (
            <Suspense fallback={null}>
              <EmojiPicker
                onClose={() => setPicker(false)}
                onPick={(e) => {
                  setPicker(false);
                  actions.react(m, e);
                }}
              />
            </Suspense>
          )}
        </div>
      )}
    </div>
  );
});

export interface PendingItemProps extends CommonProps {
  pending: PendingMessage;
  original: Message | undefined;
}

/** A message of ours not stored yet: greyed while sending, with Retry when it failed. */
export function PendingItem({ pending: p, original, grouped, sender, me, users, actions, focusable }: PendingItemProps) {
  const { t } = useTranslation();
  const failed = p.status === 'failed';
  return (
    <div
      className={`msg own pending${grouped ? ' grouped' : ''}${failed ? ' failed' : ''}`}
      data-testid="message"
      data-client-msg-id={p.clientMsgId}
      data-thread-id={p.threadId ?? undefined}
      data-sender-id={me.id}
      data-status={failed ? 'failed' : 'pending'}
      tabIndex={focusable ? 0 : -1}
    >
      <div className="msg-gutter">{grouped ? null : <Avatar user={sender ?? me} />}</div>
      <div className="msg-main">
        {!grouped && (
          <div className="msg-head">
            <span className="msg-author">{me.displayName}</span>
          </div>
        )}
        {p.replyTo && <Quote original={original} users={users} onJump={() => actions.jumpTo(p.replyTo!)} />}
        {p.body && (
          <div className="msg-body" data-testid="message-body" dir="auto">
            <MessageBody text={p.body} mentioned={new Set()} me="" />
          </div>
        )}
        <PendingAttachments files={p.files} />
        {failed ? (
          <div className="msg-failed" role="alert">
            <span data-testid="message-error">{t('messages.notSent', { error: p.error })}</span>{' '}
            <button type="button" className="btn-link" data-testid="message-retry" onClick={() => actions.retry(p)}>
              {t('common.retry')}
            </button>{' '}
            <button type="button" className="btn-link" data-testid="message-discard" onClick={() => actions.discard(p)}>
              {t('common.discard')}
            </button>
          </div>
        ) : (
          <span className="msg-sending" data-testid="message-sending">
            {p.status === 'uploading' ? t('messages.uploading') : t('messages.sending')}
          </span>
        )}
      </div>
    </div>
  );
}

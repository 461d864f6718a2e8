/** One row of the message list (see message-rows.ts): a message with what stands before it, a pending message, or the list's head or foot. */
import type { ReactNode } from 'react';
import type { Message, User } from '../../../src/client/index.js';
import { formatDay } from '../format.js';
import type { PendingMessage } from '../store/types.js';
import { MessageItem, PendingItem, type MessageActions } from './message-item.js';
import type { Row } from './message-rows.js';
import { SystemLine } from './system-line.js';
import { useTranslation } from 'react-i18next';

/** What the rows of one list share. */
export interface RowContext {
  messages: readonly Message[];
  pending: readonly PendingMessage[];
  byId: ReadonlyMap<string, Message>;
  extra: Record<string, Message>;
  users: Record<string, User>;
  me: User;
  actions: MessageActions;
  moderator: boolean;
  /** Senders whose name could be taken for another's here. */
  ambiguous: ReadonlySet<string>;
  /** In a direct chat, our last message the peer has read. */
  lastOwnSeen: string | undefined;
  start?: ReactNode;
  emptyText?: string;
  idPrefix?: string;
}

export function RowContent({ row, ctx }: { row: Row; ctx: RowContext }): ReactNode {
  const { t } = useTranslation();
  const { messages, pending, byId, extra, users, me, actions, moderator, ambiguous, lastOwnSeen } = ctx;
  const lastIndex = messages.length + pending.length - 1;
  switch (row.kind) {
    case 'start':
      return (
        ctx.start ?? (
          <div className="history-start" data-testid="history-start">
            {t('messages.start')}
          </div>
        )
      );
    case 'loading':
      return (
        <div className="history-loading" data-testid="history-loading" role="status">
          {t('messages.loading')}
        </div>
      );
    case 'lines':
      return row.lines.map((l) => <SystemLine key={`sys-${l.event.seq}`} event={l.event} text={l.text} />);
    case 'more-below':
      return (
        <div className="history-loading" data-testid="history-more-below" role="status">
          {t('messages.loadingNewer')}
        </div>
      );
    case 'empty':
      return (
        <div className="empty-conversation" data-testid="empty-conversation">
          {ctx.emptyText ?? t('messages.empty')}
        </div>
      );
    case 'pending': {
      const p = row.pending;
      return (
        <PendingItem
          pending={p}
          original={p.replyTo ? (byId.get(p.replyTo) ?? extra[p.replyTo]) : undefined}
          grouped={row.grouped}
          sender={me}
          me={me}
          users={users}
          actions={actions}
          focusable={messages.length + pending.indexOf(p) === lastIndex}
        />
      );
    }
    case 'message': {
      const m = row.message;
      return (
        <>
          {row.lines.map((l) => (
            <SystemLine key={`sys-${l.event.seq}`} event={l.event} text={l.text} />
          ))}
          {row.newDay && (
            <div className="day-divider" data-testid="day-divider" role="separator">
              <span>{formatDay(m.createdAt)}</span>
            </div>
          )}
          {row.divider && (
            <div className="new-divider" data-testid="new-messages-divider" role="separator">
              <span>{t('messages.newDivider')}</span>
            </div>
          )}
          <MessageItem
            message={m}
            original={m.replyTo ? (byId.get(m.replyTo) ?? extra[m.replyTo]) : undefined}
            grouped={row.grouped}
            sender={users[m.senderId]}
            ambiguous={ambiguous.has(m.senderId)}
            me={me}
            users={users}
            actions={actions}
            canDelete={m.senderId === me.id || moderator}
            seen={m.id === lastOwnSeen}
            focusable={m === messages[lastIndex]}
            threadRoot={m.threadId ? (byId.get(m.threadId) ?? extra[m.threadId]) : undefined}
            idPrefix={ctx.idPrefix}
          />
        </>
      );
    }
  }
}

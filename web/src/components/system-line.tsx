/**
 * System lines in a timeline: membership, role and group-setting changes ("Alice added Bob",
 * "Carol left", "Dan is now an admin", "Alice renamed the group to …"), from the events.
 */
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import type { User } from '../../../src/client/index.js';
import { formatFull, formatTime } from '../format.js';
import type { SystemEvent } from '../store/types.js';
import { t } from '../i18n/index.js';

type NameOf = (id: string | null | undefined) => string;

function namer(users: Record<string, User>, meId: string): NameOf {
  return (id) => (!id ? t('system.someone') : id === meId ? t('system.you') : (users[id]?.displayName ?? t('system.someone')));
}

/** What a system event says, or null when it is not worth a line (a mute, an older event without its change). */
export function describeSystemEvent(ev: SystemEvent, users: Record<string, User>, meId: string): string | null {
  const name = namer(users, meId);
  switch (ev.type) {
    case 'member.joined': {
      const who = ev.member.user.id;
      const by = ev.member.addedBy;
      return by && by !== who ? t('system.added', { by: name(by), who: name(who) }) : t('system.joined', { who: name(who) });
    }
    case 'member.left': {
      const who = name(ev.member.user.id);
      if (ev.reason === 'removed') return ev.by ? t('system.removedBy', { by: name(ev.by), who }) : t('system.removed', { who });
      if (ev.reason === 'banned') return ev.by ? t('system.bannedBy', { by: name(ev.by), who }) : t('system.banned', { who });
      return t('system.left', { who });
    }
    case 'member.updated': {
      if (!ev.previousRole || ev.previousRole === ev.member.role) return null;
      const who = name(ev.member.user.id);
      // "You are" and "Dan is": a sentence of its own for the reader.
      const self = ev.member.user.id === meId;
      if (ev.member.role === 'owner') return self ? t('system.nowOwnerSelf') : t('system.nowOwner', { who });
      if (ev.member.role === 'admin') return self ? t('system.nowAdminSelf') : t('system.nowAdmin', { who });
      return self ? t('system.noLongerAdminSelf') : t('system.noLongerAdmin', { who });
    }
    case 'conversation.updated': {
      const by = name(ev.by);
      const c = ev.changes;
      if (!c) return t('system.settingsChanged');
      const parts: string[] = [];
      if (c.name !== undefined) parts.push(t('system.renamed', { name: neutralizeBidi(c.name ?? '') }));
      if (c.description !== undefined) parts.push(c.description ? t('system.descriptionChanged') : t('system.descriptionRemoved'));
      if (c.visibility) parts.push(c.visibility === 'public' ? t('system.madePublic') : t('system.madePrivate'));
      if (c.postingPolicy) parts.push(c.postingPolicy === 'admins' ? t('system.announcement') : t('system.everyonePosts'));
      if (c.mentionAllPolicy) parts.push(t('system.mentionAll'));
      if (c.historyVisibility) parts.push(c.historyVisibility === 'joined' ? t('system.historyFromJoin') : t('system.historyAll'));
      return parts.length ? t('system.changes', { by, changes: parts.join(t('system.separator')) }) : null;
    }
  }
}

export function SystemLine({ event, text }: { event: SystemEvent; text: string }) {
  return (
    <div className="system-line" role="note" data-testid="system-line" data-seq={event.seq} data-type={event.type}>
      <span dir="auto">{text}</span>
      <time className="muted" dateTime={event.createdAt} title={formatFull(event.createdAt)}>
        {formatTime(event.createdAt)}
      </time>
    </div>
  );
}

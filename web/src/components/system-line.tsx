/**
 * System lines in a timeline: membership, role and group-setting changes ("Alice added Bob",
 * "Carol left", "Dan is now an admin", "Alice renamed the group to …"), from the events.
 */
import { neutralizeBidi } from '../../../src/protocol/bidi.js';
import type { User } from '../../../src/client/index.js';
import { formatFull, formatTime } from '../format.js';
import type { SystemEvent } from '../store/types.js';

type NameOf = (id: string | null | undefined) => string;

function namer(users: Record<string, User>, meId: string): NameOf {
  return (id) => (!id ? 'Someone' : id === meId ? 'You' : (users[id]?.displayName ?? 'Someone'));
}

/** What a system event says, or null when it is not worth a line (a mute, an older event without its change). */
export function describeSystemEvent(ev: SystemEvent, users: Record<string, User>, meId: string): string | null {
  const name = namer(users, meId);
  switch (ev.type) {
    case 'member.joined': {
      const who = ev.member.user.id;
      const by = ev.member.addedBy;
      return by && by !== who ? `${name(by)} added ${name(who)}` : `${name(who)} joined`;
    }
    case 'member.left': {
      const who = name(ev.member.user.id);
      if (ev.reason === 'removed') return ev.by ? `${name(ev.by)} removed ${who}` : `${who} was removed`;
      if (ev.reason === 'banned') return ev.by ? `${name(ev.by)} banned ${who}` : `${who} was banned`;
      return `${who} left`;
    }
    case 'member.updated': {
      if (!ev.previousRole || ev.previousRole === ev.member.role) return null;
      const who = name(ev.member.user.id);
      const is = who === 'You' ? 'are' : 'is';
      if (ev.member.role === 'owner') return `${who} ${is} now the owner`;
      if (ev.member.role === 'admin') return `${who} ${is} now an admin`;
      return `${who} ${is} no longer an admin`;
    }
    case 'conversation.updated': {
      const by = name(ev.by);
      const c = ev.changes;
      if (!c) return 'The group settings were changed';
      const parts: string[] = [];
      if (c.name !== undefined) parts.push(`renamed the group to “${neutralizeBidi(c.name ?? '')}”`);
      if (c.description !== undefined) parts.push(c.description ? 'changed the description' : 'removed the description');
      if (c.visibility) parts.push(`made the group ${c.visibility}`);
      if (c.postingPolicy) parts.push(c.postingPolicy === 'admins' ? 'made this an announcement group (only admins post)' : 'let everyone post');
      if (c.mentionAllPolicy) parts.push('changed who may mention everyone');
      return parts.length ? `${by} ${parts.join(', ')}` : null;
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

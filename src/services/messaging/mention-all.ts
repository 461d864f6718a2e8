/** @all and @here: who may use them (a group's mentionAllPolicy) and whom they mention. */
import { AppError } from '../../core/errors.js';
import type { ConversationRow } from '../../db/repositories/conversations.repository.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { MemberRow } from '../../db/repositories/members.repository.js';
import { MENTION_ALL_MAX } from '../../protocol/limits.js';
import { isAdmin } from '../shared/access.js';
import type { UserView } from '../shared/presenters.js';

/** The same `@name` tokens as mentionedUsernames (messages.service.ts), without its cap of 50. */
const MENTION = /(?<![\p{L}\p{N}_.@-])@([A-Za-z0-9_.-]{3,32})/gu;

/** The names @all and @here take: never resolved as usernames. */
export const MENTION_ALL_NAMES: ReadonlySet<string> = new Set(['all', 'here']);

/**
 * Usernames no one may take: @all and @here would never reach them (a trailing dot ends a
 * sentence, so `all.` reads as @all too).
 */
export function isReservedUsername(username: string): boolean {
  return MENTION_ALL_NAMES.has(username.replace(/\.+$/, '').toLowerCase());
}

/** Which of @all / @here a body uses (case-insensitive; a trailing dot ends the sentence). */
export function mentionAllIn(body: string): { all: boolean; here: boolean } {
  const found = { all: false, here: false };
  // Cheap test first: the usual body has neither word.
  if (!/@(all|here)/i.test(body)) return found;
  for (const m of body.matchAll(MENTION)) {
    const name = m[1]!.replace(/\.+$/, '').toLowerCase();
    if (name === 'all') found.all = true;
    else if (name === 'here') found.here = true;
  }
  return found;
}

/** May this member mention everyone? Always in a direct conversation; else per the group's policy. */
export function mayMentionAll(conv: Pick<ConversationRow, 'kind' | 'mentionAllPolicy'>, member: Pick<MemberRow, 'role'>): boolean {
  if (conv.kind === 'direct') return true;
  switch (conv.mentionAllPolicy) {
    case 'everyone':
      return true;
    case 'admins':
      return isAdmin(member as MemberRow);
    case 'nobody':
      return false;
  }
}

export function requireMayMentionAll(conv: Pick<ConversationRow, 'kind' | 'mentionAllPolicy'>, member: Pick<MemberRow, 'role'>): void {
  if (mayMentionAll(conv, member)) return;
  const who = conv.mentionAllPolicy === 'nobody' ? 'nobody' : 'only admins';
  throw new AppError('mention_all_forbidden', `@all and @here are not allowed here: ${who} may notify the whole group`, {
    mentionAllPolicy: conv.mentionAllPolicy,
  });
}

/**
 * The members @all (everyone) or @here (those online now) mention, the sender left out: at most
 * MENTION_ALL_MAX, the first to have joined. In a direct conversation both mean the peer.
 */
export async function expandMentionAll(
  repos: Pick<Repositories, 'members'>,
  presence: Pick<UserView, 'isOnline'>,
  conv: Pick<ConversationRow, 'id' | 'kind'>,
  senderId: string,
  which: { all: boolean; here: boolean },
): Promise<string[]> {
  if (!which.all && !which.here) return [];
  if (conv.kind === 'direct') return (await repos.members.userIds(conv.id)).filter((id) => id !== senderId);
  if (which.all) {
    // One more than the cap: the sender may be among them.
    return (await repos.members.firstUserIds(conv.id, MENTION_ALL_MAX + 1)).filter((id) => id !== senderId).slice(0, MENTION_ALL_MAX);
  }
  const online = (await repos.members.userIds(conv.id)).filter((id) => id !== senderId && presence.isOnline(id));
  return online.slice(0, MENTION_ALL_MAX);
}

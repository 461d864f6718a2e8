/** Group rules as the web client applies them: who may post, @all / @here suggestions, who may pin. */
import type { Conversation, Role, User } from '../../../src/client/index.js';
import { t } from '../i18n/index.js';

const isAdminRole = (role: Role | undefined): boolean => role === 'owner' || role === 'admin';

/**
 * False when the reader must not post: a plain member of an announcement group. While the
 * members (and so the reader's role) are loading, true: the server decides anyway.
 */
export function mayPost(c: Conversation, role: Role | undefined): boolean {
  return !(c.kind === 'group' && c.postingPolicy === 'admins' && role === 'member');
}

/** Whether the group's mentionAllPolicy lets the reader use @all / @here (offered in groups only). */
export function mayMentionAll(c: Conversation, role: Role | undefined): boolean {
  if (c.kind !== 'group') return false;
  if (c.mentionAllPolicy === 'everyone') return true;
  if (c.mentionAllPolicy === 'nobody') return false;
  return isAdminRole(role);
}

/** Group admins pin; either member of a direct conversation. */
export function mayPin(c: Conversation, role: Role | undefined): boolean {
  return c.kind === 'direct' || isAdminRole(role);
}

const pseudo = (username: string, displayName: string): User => ({
  id: `@${username}`,
  username,
  displayName,
  avatarUrl: null,
  createdAt: new Date(0).toISOString(),
  online: true,
  lastSeenAt: null,
  bot: false,
  siteAdmin: false,
});

/** @all and @here as entries of the mention suggestions (their ids never name a user), in the current language. */
export function mentionAllSuggestions(): readonly User[] {
  return [pseudo('all', t('groups.everyone')), pseudo('here', t('groups.everyoneOnline'))];
}

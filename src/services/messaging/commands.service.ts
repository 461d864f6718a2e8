/**
 * Slash commands typed in a conversation's composer, run by the server so every client has them:
 * /me, /shrug, /mute, /unmute, /invite, /leave, /topic, /status, /dnd. Each does what the
 * matching route does (same checks, same events); the answer is the message it sent, and/or a
 * line for the caller alone (ephemeral: shown once, never stored). A group's own commands
 * (custom-commands.service.ts) run through here too, after the built-in ones.
 */
import { AppError, badRequest, notFound } from '../../core/errors.js';
import { foldUsername } from '../../core/username.js';
import type { Repositories } from '../../db/repositories/index.js';
import type { CommandInfo, CommandResult } from '../../protocol/rest-integrations.js';
import type { AccountsService } from '../identity/accounts.service.js';
import { loadMembership, requireNotMuted } from '../shared/access.js';
import type { ConversationsService } from '../conversations/conversations.service.js';
import type { CustomCommandsService } from '../integrations/custom-commands.service.js';
import type { Actor } from '../identity/identity.js';
import type { MessagesService } from './messages.service.js';
import type { NotificationsService } from '../notifications/notifications.service.js';

export type { CommandInfo, CommandResult };

/** What each command's rate limit is: a send, a group change, a profile change, or none. */
export type CommandBudget = 'send' | 'group' | 'profile' | 'none';

const SHRUG = '¯\\\\\\_(ツ)\\_/¯';

export const BUILT_IN_COMMANDS: readonly (CommandInfo & { budget: CommandBudget })[] = [
  { name: 'me', usage: '/me [text]', description: 'Say what you are doing (shown in italics)', groupsOnly: false, budget: 'send' },
  { name: 'shrug', usage: '/shrug [text]', description: `Append ¯\\_(ツ)_/¯ to your message`, groupsOnly: false, budget: 'send' },
  { name: 'mute', usage: '/mute', description: 'Mute notifications from this conversation', groupsOnly: false, budget: 'none' },
  { name: 'unmute', usage: '/unmute', description: 'Notify me from this conversation again', groupsOnly: false, budget: 'none' },
  { name: 'invite', usage: '/invite @user [@user …]', description: 'Add people to this group', groupsOnly: true, budget: 'group' },
  { name: 'leave', usage: '/leave', description: 'Leave this group', groupsOnly: true, budget: 'none' },
  { name: 'topic', usage: '/topic [text]', description: "Set the group's description (empty: clear it)", groupsOnly: true, budget: 'group' },
  { name: 'status', usage: '/status [emoji] [text] | /status clear', description: 'Set or clear your status', groupsOnly: false, budget: 'profile' },
  { name: 'dnd', usage: '/dnd [30m | 2h | 1d | off]', description: 'Pause notifications for a while (default 1 hour), or resume them', groupsOnly: false, budget: 'profile' },
];

/** Users named in /invite: @name tokens (the @ optional), at most this many at once. */
const MAX_INVITES = 20;

/** A leading emoji of /status: a :short_name: or one Unicode emoji sequence. */
// The v flag (Node 20 has it) knows emoji sequences: ZWJ families, skin tones, flags.
const LEADING_EMOJI = new RegExp('^(:[a-z0-9_+\\-]{1,32}:|\\p{RGI_Emoji})\\s*', 'v');

/** A /dnd duration: 30m, 2h, 1d (at most a year). */
function duration(text: string): number {
  const m = /^(\d{1,4})\s*(m|min|h|d)$/i.exec(text.trim());
  if (!m) throw badRequest('say how long: 30m, 2h or 1d (or off)', { field: 'text' });
  const unit = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[m[2]!.toLowerCase() as 'm' | 'min' | 'h' | 'd'];
  const ms = Number(m[1]) * unit;
  if (ms <= 0 || ms > 365 * 86_400_000) throw badRequest('between a minute and a year', { field: 'text' });
  return ms;
}

export class CommandsService {
  constructor(
    private readonly repos: Pick<Repositories, 'conversations' | 'members' | 'messages' | 'users'>,
    private readonly deps: {
      messages: Pick<MessagesService, 'send'>;
      conversations: Pick<ConversationsService, 'addMember' | 'removeMember' | 'patchGroup'>;
      notifications: Pick<NotificationsService, 'setLevel'>;
      accounts: Pick<AccountsService, 'setStatus' | 'clearStatus' | 'setDnd' | 'clearDnd'>;
      /** A group's own commands, run by their integrations. */
      custom: Pick<CustomCommandsService, 'suggestions' | 'find' | 'run'>;
    },
  ) {}

  /** The commands of a conversation, for the composer's suggestions. */
  async list(actor: Actor, conversationId: string): Promise<{ commands: CommandInfo[] }> {
    const { conv } = await loadMembership(this.repos, conversationId, actor.user.id);
    const builtIn = BUILT_IN_COMMANDS.filter((c) => conv.kind === 'group' || !c.groupsOnly).map(({ name, usage, description, groupsOnly }) => ({ name, usage, description, groupsOnly }));
    const custom = conv.kind === 'group' ? (await this.deps.custom.suggestions(conv.id)).map((c) => ({ ...c, groupsOnly: true })) : [];
    return { commands: [...builtIn, ...custom] };
  }

  /**
   * The budget a command spends (checked before it runs): a group's own command (any name not
   * built in) counts as a send, since it calls out to its integration and may post.
   */
  budgetOf(command: string): CommandBudget {
    return BUILT_IN_COMMANDS.find((c) => c.name === normalize(command))?.budget ?? 'send';
  }

  /**
   * Runs a command. `spend` takes one more unit of a budget (the route spent the first): a command
   * that does several things (/invite of many) pays for each as its route would.
   */
  async run(
    actor: Actor,
    conversationId: string,
    input: { command: string; text?: string; clientMsgId?: string | null },
    spend: (budget: CommandBudget) => Promise<void> = () => Promise.resolve(),
  ): Promise<CommandResult> {
    const name = normalize(input.command);
    const text = (input.text ?? '').trim();
    const info = BUILT_IN_COMMANDS.find((c) => c.name === name);
    const { conv, member } = await loadMembership(this.repos, conversationId, actor.user.id);
    if (!info) {
      const custom = conv.kind === 'group' ? await this.deps.custom.find(conv.id, name) : null;
      if (custom) {
        // A muted member's words must not reach the group through an integration that echoes them.
        requireNotMuted(member);
        return this.deps.custom.run(actor, conv, custom, text);
      }
      throw badRequest(`no command /${name}; try ${BUILT_IN_COMMANDS.map((c) => `/${c.name}`).join(', ')}`, { field: 'command' });
    }
    if (info.groupsOnly && conv.kind !== 'group') throw badRequest(`/${name} works in groups only`, { field: 'command' });
    const send = async (body: string): Promise<CommandResult> => ({
      message: (await this.deps.messages.send(actor, conv.id, { body, clientMsgId: input.clientMsgId ?? null })).message,
      response: null,
    });
    const say = (line: string): CommandResult => ({ message: null, response: { text: line } });
    switch (name) {
      case 'me':
        if (!text) throw badRequest('say what you are doing: /me is making tea', { field: 'text' });
        return send(`_${escapeEmphasis(text)}_`);
      case 'shrug':
        return send(text ? `${text} ${SHRUG}` : SHRUG);
      case 'mute':
      case 'unmute':
        await this.deps.notifications.setLevel(actor, conv.id, { muted: name === 'mute' });
        return say(name === 'mute' ? 'Notifications from this conversation are muted. /unmute to hear from it again.' : 'Notifications from this conversation are on again.');
      case 'invite': {
        const names = [...new Set(text.split(/[\s,]+/).filter(Boolean).map((n) => foldUsername(n.replace(/^@/, ''))))];
        if (names.length === 0) throw badRequest('name someone: /invite @alice', { field: 'text' });
        if (names.length > MAX_INVITES) throw badRequest(`at most ${MAX_INVITES} people at once`, { field: 'text' });
        const found = new Map((await this.repos.users.findByUsernames(names)).map((u) => [u.username.toLowerCase(), u]));
        const lines: string[] = [];
        for (const n of names) {
          const user = found.get(n);
          if (!user || user.deactivatedAt || user.erasedAt) {
            lines.push(`@${n}: no such user`);
            continue;
          }
          try {
            // Each add is a group change, as through POST /groups/{id}/members (the first was spent by the route).
            if (lines.length > 0) await spend('group');
            const { created } = await this.deps.conversations.addMember(actor, conv.id, user.id);
            lines.push(created ? `@${user.username} was added` : `@${user.username} is already a member`);
          } catch (err) {
            if (!(err instanceof AppError) || err.status >= 500) throw err;
            if (err.code === 'rate_limited') {
              lines.push(`@${user.username}: not added (${err.message}); try again later`);
              break;
            }
            lines.push(`@${user.username}: ${err.message}`);
          }
        }
        return say(lines.join('\n'));
      }
      case 'leave':
        await this.deps.conversations.removeMember(actor, conv.id, actor.user.id);
        return say(`You left ${conv.name ?? 'the group'}.`);
      case 'topic':
        await this.deps.conversations.patchGroup(actor, conv.id, { description: text || null });
        return say(text ? 'The topic is set.' : 'The topic is cleared.');
      case 'status': {
        if (text.toLowerCase() === 'clear' || !text) {
          await this.deps.accounts.clearStatus(actor);
          return say('Your status is cleared.');
        }
        const m = LEADING_EMOJI.exec(text);
        const emoji = m ? m[1]! : null;
        const rest = m ? text.slice(m[0].length) : text;
        await this.deps.accounts.setStatus(actor, { emoji, text: rest || null });
        return say('Your status is set.');
      }
      case 'dnd': {
        if (/^(off|resume|end)$/i.test(text)) {
          await this.deps.accounts.clearDnd(actor);
          return say('Notifications are on again.');
        }
        const until = new Date(Date.now() + (text ? duration(text) : 3_600_000));
        await this.deps.accounts.setDnd(actor, until.toISOString());
        return say(`Notifications are paused until ${until.toISOString()}.`);
      }
      default:
        throw notFound('command');
    }
  }
}

/** A command's name without its slash, in lower case. */
function normalize(command: string): string {
  return command.trim().replace(/^\//, '').toLowerCase();
}

/** Underscores inside /me's text would end its emphasis early. */
function escapeEmphasis(text: string): string {
  return text.replace(/([_\\])/g, '\\$1');
}

import type { Db } from '../database.js';
import { AddBlocksRepository } from './add-blocks.repository.js';
import { AuditRepository } from './audit.repository.js';
import { BansRepository } from './bans.repository.js';
import { ConversationsRepository } from './conversations.repository.js';
import { CustomEmojiRepository } from './custom-emoji.repository.js';
import { EventsRepository } from './events.repository.js';
import { IdentitiesRepository } from './identities.repository.js';
import { ImportRepository } from './import.repository.js';
import { IncomingWebhooksRepository } from './incoming-webhooks.repository.js';
import { InvitesRepository } from './invites.repository.js';
import { LinkPreviewsRepository } from './link-previews.repository.js';
import { MembersRepository } from './members.repository.js';
import { MutesRepository } from './mutes.repository.js';
import { PinsRepository } from './pins.repository.js';
import { DraftsRepository } from './drafts.repository.js';
import { PasswordResetsRepository } from './password-resets.repository.js';
import { MessagesRepository } from './messages.repository.js';
import { ReactionsRepository } from './reactions.repository.js';
import { UploadsRepository } from './uploads.repository.js';
import { SessionsRepository } from './sessions.repository.js';
import { SettingsRepository } from './settings.repository.js';
import { UsersRepository } from './users.repository.js';
import { ThreadsRepository } from './threads.repository.js';
import { SlashCommandsRepository } from './slash-commands.repository.js';
import { WebhooksRepository } from './webhooks.repository.js';

/** One repository per aggregate, over one handle (the database, or an open transaction). */
export interface Repositories {
  users: UsersRepository;
  sessions: SessionsRepository;
  conversations: ConversationsRepository;
  members: MembersRepository;
  messages: MessagesRepository;
  reactions: ReactionsRepository;
  uploads: UploadsRepository;
  events: EventsRepository;
  audit: AuditRepository;
  bans: BansRepository;
  /** Who refuses to be added to groups by whom. */
  addBlocks: AddBlocksRepository;
  mutes: MutesRepository;
  webhooks: WebhooksRepository;
  settings: SettingsRepository;
  pins: PinsRepository;
  /** Unsent text per user and conversation. */
  drafts: DraftsRepository;
  identities: IdentitiesRepository;
  invites: InvitesRepository;
  passwordResets: PasswordResetsRepository;
  /** Link previews: the per-URL cache, the job queue, a message's previews. */
  linkPreviews: LinkPreviewsRepository;
  /** Threads' summaries, followers and read pointers. */
  threads: ThreadsRepository;
  /** Imports from Slack and Mattermost: import keys and bulk history. */
  imports: ImportRepository;
  /** Incoming webhooks of groups. */
  incomingWebhooks: IncomingWebhooksRepository;
  /** Custom slash commands of groups and their response URLs. */
  slashCommands: SlashCommandsRepository;
  /** The site's custom emoji. */
  customEmoji: CustomEmojiRepository;
}

export function repositories(db: Db): Repositories {
  return {
    users: new UsersRepository(db),
    sessions: new SessionsRepository(db),
    conversations: new ConversationsRepository(db),
    members: new MembersRepository(db),
    messages: new MessagesRepository(db),
    reactions: new ReactionsRepository(db),
    uploads: new UploadsRepository(db),
    events: new EventsRepository(db),
    audit: new AuditRepository(db),
    bans: new BansRepository(db),
    addBlocks: new AddBlocksRepository(db),
    mutes: new MutesRepository(db),
    webhooks: new WebhooksRepository(db),
    settings: new SettingsRepository(db),
    pins: new PinsRepository(db),
    drafts: new DraftsRepository(db),
    identities: new IdentitiesRepository(db),
    invites: new InvitesRepository(db),
    passwordResets: new PasswordResetsRepository(db),
    linkPreviews: new LinkPreviewsRepository(db),
    threads: new ThreadsRepository(db),
    imports: new ImportRepository(db),
    incomingWebhooks: new IncomingWebhooksRepository(db),
    slashCommands: new SlashCommandsRepository(db),
    customEmoji: new CustomEmojiRepository(db),
  };
}

/** Thrown inside a transaction to roll it back and make inTransaction return `value`. */
export class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super('rollback');
  }
}

/**
 * The one way services open a transaction: fn runs with the repositories bound to it, and `tx`,
 * the same transaction as a Db for a repository outside that set (never the outer handle inside).
 * Throwing a Rollback undoes everything (a seq taken included) and returns its value.
 */
export async function inTransaction<T, R = never>(db: Db, fn: (repos: Repositories, tx: Db) => Promise<T>): Promise<T | R> {
  try {
    return await db.transaction(async (transaction) => {
      // drizzle's transaction handle offers what Db does, under its own type: the one cast.
      const tx = transaction as unknown as Db;
      return fn(repositories(tx), tx);
    });
  } catch (err) {
    if (err instanceof Rollback) return err.value as R;
    throw err;
  }
}

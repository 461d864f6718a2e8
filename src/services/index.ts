import { DEFAULT_CAPS, type CapsConfig, type OidcConfig, type PushConfig } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Database } from '../db/database.js';
import { repositories } from '../db/repositories/index.js';
import { MessageStoreQueue } from '../db/repositories/message-store-queue.js';
import type { Bus } from '../events/bus.js';
import type { BlobStore } from '../storage/blob-store.js';
import { AccountsService } from './identity/accounts.service.js';
import { AddBlocksService } from './conversations/add-blocks.service.js';
import { AdminService } from './identity/admin.service.js';
import { AuditService } from './identity/audit.service.js';
import { ConversationsService } from './conversations/conversations.service.js';
import { EventPublisher } from './shared/events.js';
import { ExportGate } from './data/export-gate.js';
import { ExportService } from './data/export.service.js';
import { MessagesService } from './messaging/messages.service.js';
import { ThreadsService } from './messaging/threads.service.js';
import { IncomingWebhooksService } from './integrations/incoming-webhooks.service.js';
import { BUILT_IN_COMMANDS, CommandsService } from './messaging/commands.service.js';
import { CustomCommandsService } from './integrations/custom-commands.service.js';
import { ModerationService } from './conversations/moderation.service.js';
import { PinsService } from './conversations/pins.service.js';
import { DraftsService } from './conversations/drafts.service.js';
import { PresenceService } from './identity/presence.service.js';
import { OidcService } from './identity/oidc.service.js';
import { MessagePresenter, type PresenceSource, type UserView } from './shared/presenters.js';
import { ReactionsService } from './messaging/reactions.service.js';
import { SearchService } from './messaging/search.service.js';
import { SessionsService } from './identity/sessions.service.js';
import { type SessionPolicy } from './identity/identity.js';
import { SiteSettingsService } from './identity/site-settings.service.js';
import { AccountSecurityService } from './identity/account-security.service.js';
import { InvitesService } from './identity/invites.service.js';
import { SignupService } from './identity/signup.service.js';
import { TokensService } from './identity/tokens.service.js';
import { UploadsService, type UploadQuotas } from './files/uploads.service.js';
import { CustomEmojiService } from './messaging/custom-emoji.service.js';
import type { UrlSigner } from './files/url-signer.js';
import type { Mailer } from './notifications/mailer.js';
import type { WebhookDispatcherOptions } from './integrations/webhook-dispatcher.js';
import { WebhooksService } from './integrations/webhooks.service.js';
import { LinkPreviewsService, type LinkPreviewOptions } from './messaging/link-previews.service.js';
import { NotificationsService } from './notifications/notifications.service.js';
import type { NotificationOptions } from './notifications/notification-dispatcher.js';
import { defaultVapidSubject, loadVapidKeys, type VapidKeys } from './notifications/push-sender.js';
import { ErasureService } from './data/erasure.service.js';
import { RetentionService, type RetentionOptions } from './data/retention.service.js';
import { SearchPrefixBackfill, type SearchPrefixBackfillOptions } from './messaging/search-prefix-backfill.js';
import { SearchPrefixesRepository } from '../db/repositories/search-prefixes.repository.js';
import { UserExportService } from './data/user-export.service.js';

export interface Services {
  accounts: AccountsService;
  admin: AdminService;
  audit: AuditService;
  moderation: ModerationService;
  pins: PinsService;
  drafts: DraftsService;
  tokens: TokensService;
  conversations: ConversationsService;
  /** Who may not add the caller to groups (consent to group adds). */
  addBlocks: AddBlocksService;
  exports: ExportService;
  messages: MessagesService;
  /** Incoming webhooks: a group's secret URLs that post into it (Slack's format). */
  incomingWebhooks: IncomingWebhooksService;
  /** Slash commands run by the server (/me, /invite, /status, …). */
  commands: CommandsService;
  /** A group's own slash commands: their CRUD and response URLs (run through `commands`). */
  customCommands: CustomCommandsService;
  /** Threads: replies of a top-level message, following, read pointers. */
  threads: ThreadsService;
  presence: PresenceService;
  reactions: ReactionsService;
  uploads: UploadsService;
  /** The site's custom emoji (issue 22). */
  customEmoji: CustomEmojiService;
  search: SearchService;
  webhooks: WebhooksService;
  siteSettings: SiteSettingsService;
  oidc: OidcService;
  /** Sign-up policy (open, invite-only, e-mail domains) and GET /auth/options. */
  signup: SignupService;
  invites: InvitesService;
  /** The account's e-mail address, password change and reset by e-mail. */
  accountSecurity: AccountSecurityService;
  sessions: SessionsService;
  /** Message retention: the purge job (hourly on every node). */
  retention: RetentionService;
  /** Adds word-prefix terms to messages stored before prefix search (once, in the background). */
  searchBackfill: SearchPrefixBackfill;
  /** GET /users/me/export. */
  userExports: UserExportService;
  /** Account erasure (DELETE /users/me, POST /admin/users/{id}/erase). */
  erasure: ErasureService;
  /** Notification levels and preferences, Web Push and the e-mail digest. */
  notifications: NotificationsService;
  /** Link previews: the background fetches, the sender's removal, the images. */
  linkPreviews: LinkPreviewsService;
}

export interface ServiceDeps {
  /** Sign-in through an OpenID Connect provider (OIDC_*); absent or null = not offered. */
  oidc?: OidcConfig | null;
  database: Database;
  bus: Bus;
  logger: Logger;
  presence: PresenceSource;
  blobs: BlobStore;
  signer: UrlSigner;
  /** UPLOAD_QUOTA_PER_USER and UPLOAD_QUOTA_TOTAL (absent: no limits). */
  uploadQuotas?: UploadQuotas;
  /** Outgoing webhooks: WEBHOOK_ALLOW_PRIVATE and the dispatcher's timings (tests shorten them). */
  webhooks?: Partial<WebhookDispatcherOptions>;
  /** ADMIN_USERNAME: who becomes site admin; null = the first person to register. */
  adminUsername?: string | null;
  /** The app's metrics (GET /metrics); absent = nothing counted. */
  metrics?: Metrics;
  /** Outgoing e-mail (SMTP_URL); absent = none is sent. */
  mailer?: Mailer;
  /** Where people reach the server (PUBLIC_URL, else http://HOST:PORT), for links in e-mails and redirects. */
  publicUrl?: string;
  /** PUBLIC_URL as configured (null: unset, and URLs handed to clients are paths they resolve themselves). */
  configuredPublicUrl?: string | null;
  /** Message retention's timer and batch size (tests turn the timer off). */
  retention?: Partial<RetentionOptions>;
  /** The search prefix backfill's start delay and batch size (tests call it by hand). */
  searchBackfill?: Partial<SearchPrefixBackfillOptions>;
  /** How long login sessions live (SESSION_IDLE_DAYS, SESSION_MAX_DAYS); defaults to 30 days idle, 365 at most. */
  sessionPolicy?: SessionPolicy;
  /** Web Push: VAPID keys and subject, PUSH_ALLOW_PRIVATE; absent = generated keys, private endpoints refused. */
  push?: PushConfig;
  /** MAIL_FROM, the VAPID subject's fallback. */
  mailFrom?: string | null;
  /** EMOJI_MAX_BYTES: the largest custom emoji image (default 256 KiB). */
  emojiMaxBytes?: number;
  /** EXPORTS_MAX_CONCURRENT: exports this node streams at once (default 2). */
  exportsMaxConcurrent?: number;
  /** The notification dispatcher's and digest's timings (tests shorten them). */
  notifications?: Partial<NotificationOptions>;
  /** MAX_*: what one account or group may hold; absent = the defaults. */
  caps?: CapsConfig;
  /** How long a custom slash command waits for its integration (default Slack's 3 s; tests shorten it). */
  commandTimeoutMs?: number;
  /** Link previews: WEBHOOK_ALLOW_PRIVATE's allowance, limits and timings (tests shorten them). */
  linkPreviews?: Partial<LinkPreviewOptions>;
}

/** Wires the services over one database, bus, blob store and URL signer. */
export function createServices(deps: ServiceDeps): Services {
  const db = deps.database.db;
  const repos = repositories(db);
  const { signer, logger } = deps;
  const caps = deps.caps ?? {
    groupsPerOwner: DEFAULT_CAPS.MAX_GROUPS_PER_OWNER,
    botsPerOwner: DEFAULT_CAPS.MAX_BOTS_PER_OWNER,
    webhooksPerGroup: DEFAULT_CAPS.MAX_WEBHOOKS_PER_GROUP,
    pushSubscriptionsPerUser: DEFAULT_CAPS.MAX_PUSH_SUBSCRIPTIONS_PER_USER,
    incomingWebhooksPerGroup: DEFAULT_CAPS.MAX_INCOMING_WEBHOOKS_PER_GROUP,
    slashCommandsPerGroup: DEFAULT_CAPS.MAX_SLASH_COMMANDS_PER_GROUP,
    customEmoji: DEFAULT_CAPS.MAX_CUSTOM_EMOJI,
  };
  const users: UserView = {
    isOnline: (id) => deps.presence.isOnline(id),
    avatarUrl: (uploadId) => signer.url(uploadId, 'thumbnail'),
  };
  const messageView = new MessagePresenter(repos, signer);
  // PGlite has one connection: a second batch would only queue behind the first.
  const storeQueue = new MessageStoreQueue(db, { concurrency: deps.database.kind === 'pglite' ? 1 : 4 });
  deps.metrics?.watchSendQueue(() => storeQueue.backlog, () => storeQueue.refused);
  const publisher = new EventPublisher(repos, deps.bus, users, messageView, logger);
  const uploads = new UploadsService(db, repos, deps.blobs, signer, messageView, logger, users, deps.uploadQuotas);
  const audit = new AuditService(repos, logger);
  // Group and personal-data exports share their limits: one per requester, a few per node.
  const exportGate = new ExportGate(deps.database, deps.exportsMaxConcurrent ?? 2, logger, deps.metrics);
  const webhooks = new WebhooksService(db, repos, audit, logger, deps.webhooks, caps.webhooksPerGroup);
  const admin = new AdminService(db, repos, publisher, audit, users, { adminUsername: deps.adminUsername ?? null }, logger);
  const siteSettings = new SiteSettingsService(repos, audit);
  const mailer = deps.mailer ?? { enabled: false, send: () => Promise.reject(new Error('no mailer')) };
  const publicUrl = deps.publicUrl ?? '';
  const signup = new SignupService(db, repos, siteSettings, mailer.enabled);
  const sessions = new SessionsService(repos, publisher, logger, deps.sessionPolicy, deps.publicUrl ?? null);
  const push = deps.push ?? { vapid: null, subject: null, allowPrivate: false };
  let vapid: Promise<VapidKeys> | null = null;
  const notifications = new NotificationsService({
    db,
    repos,
    presence: users,
    publisher,
    logger,
    mailer: deps.mailer,
    publicUrl,
    // Loaded at first use, and again after a failure.
    vapid: () =>
      (vapid ??= loadVapidKeys(repos, push, defaultVapidSubject(publicUrl, deps.mailFrom ?? null)).catch((err: unknown) => {
        vapid = null;
        throw err;
      })),
    options: { ...deps.notifications, allowPrivate: push.allowPrivate },
    maxSubscriptions: caps.pushSubscriptionsPerUser,
  });
  const linkPreviews = new LinkPreviewsService(db, repos, publisher, messageView, siteSettings, deps.blobs, logger, {
    ...deps.linkPreviews,
    userAgent: `Parley-LinkPreview/1 (+${publicUrl || 'a Parley chat server'})`,
  });
  const messages = new MessagesService(db, repos, publisher, users, messageView, logger, webhooks, storeQueue, deps.metrics, notifications, linkPreviews);
  const accounts = new AccountsService(repos, users, publisher, uploads, admin, logger, sessions.policy, signup);
  const conversations = new ConversationsService(db, repos, publisher, users, messageView, audit, caps.groupsPerOwner);
  const customCommands = new CustomCommandsService(db, repos, publisher, audit, messages, logger, BUILT_IN_COMMANDS.map((c) => c.name), {
    maxPerGroup: caps.slashCommandsPerGroup,
    // The same allowance as webhooks: private and loopback targets only with WEBHOOK_ALLOW_PRIVATE=on.
    allowPrivate: deps.webhooks?.allowPrivate ?? false,
    publicUrl,
    timeoutMs: deps.commandTimeoutMs,
  });
  return {
    audit,
    admin,
    accounts,
    conversations,
    commands: new CommandsService(repos, { messages, conversations, notifications, accounts, custom: customCommands }),
    customCommands,
    addBlocks: new AddBlocksService(repos, users),
    moderation: new ModerationService(db, repos, publisher, audit, users),
    pins: new PinsService(db, repos, publisher, messageView),
    drafts: new DraftsService(repos, publisher),
    tokens: new TokensService(db, repos, publisher, audit, users, deps.adminUsername ?? null, caps.botsPerOwner),
    messages,
    incomingWebhooks: new IncomingWebhooksService(db, repos, publisher, audit, messages, caps.incomingWebhooksPerGroup, deps.configuredPublicUrl ?? ''),
    threads: new ThreadsService(repos, publisher, messageView),
    presence: new PresenceService(repos, publisher),
    reactions: new ReactionsService(db, repos, publisher),
    uploads,
    customEmoji: new CustomEmojiService(db, repos, deps.blobs, publisher, audit, logger, { maxBytes: deps.emojiMaxBytes ?? 256 * 1024, maxCount: caps.customEmoji }),
    search: new SearchService(repos, messageView),
    exports: new ExportService(db, repos, audit, exportGate, logger, deps.metrics),
    webhooks,
    siteSettings,
    oidc: new OidcService(repos, signup, admin, logger, deps.oidc ?? null, deps.publicUrl ?? ''),
    signup,
    invites: new InvitesService(repos, audit, publicUrl),
    accountSecurity: new AccountSecurityService(db, repos, publisher, audit, mailer, users, publicUrl, logger),
    sessions,
    retention: new RetentionService(db, repos, publisher, siteSettings, deps.blobs, logger, deps.retention),
    searchBackfill: new SearchPrefixBackfill(new SearchPrefixesRepository(db), repos.settings, logger, deps.searchBackfill),
    userExports: new UserExportService(db, repos, exportGate, logger, deps.metrics),
    erasure: new ErasureService(db, repos, publisher, audit, deps.blobs, logger, users),
    notifications,
    linkPreviews,
  };
}

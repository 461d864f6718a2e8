import type { Logger } from '../core/logger.js';
import type { Metrics } from '../core/metrics.js';
import type { Database } from '../db/database.js';
import { repositories } from '../db/repositories/index.js';
import { MessageStoreQueue } from '../db/repositories/message-store-queue.js';
import type { Bus } from '../events/bus.js';
import type { BlobStore } from '../storage/blob-store.js';
import { AccountsService } from './accounts.service.js';
import { AdminService } from './admin.service.js';
import { AuditService } from './audit.service.js';
import { ConversationsService } from './conversations.service.js';
import { EventPublisher } from './events.js';
import { ExportService } from './export.service.js';
import { MessagesService } from './messages.service.js';
import { ModerationService } from './moderation.service.js';
import { PresenceService } from './presence.service.js';
import { MessagePresenter, type PresenceSource, type UserView } from './presenters.js';
import { ReactionsService } from './reactions.service.js';
import { SearchService } from './search.service.js';
import { SiteSettingsService } from './site-settings.service.js';
import { TokensService } from './tokens.service.js';
import { UploadsService } from './uploads.service.js';
import type { UrlSigner } from './url-signer.js';
import type { Mailer } from './mailer.js';
import type { WebhookDispatcherOptions } from './webhook-dispatcher.js';
import { WebhooksService } from './webhooks.service.js';

export interface Services {
  accounts: AccountsService;
  admin: AdminService;
  audit: AuditService;
  moderation: ModerationService;
  tokens: TokensService;
  conversations: ConversationsService;
  exports: ExportService;
  messages: MessagesService;
  presence: PresenceService;
  reactions: ReactionsService;
  uploads: UploadsService;
  search: SearchService;
  webhooks: WebhooksService;
  siteSettings: SiteSettingsService;
}

export interface ServiceDeps {
  database: Database;
  bus: Bus;
  logger: Logger;
  presence: PresenceSource;
  blobs: BlobStore;
  signer: UrlSigner;
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
}

/** Wires the services over one database, bus, blob store and URL signer. */
export function createServices(deps: ServiceDeps): Services {
  const db = deps.database.db;
  const repos = repositories(db);
  const { signer, logger } = deps;
  const users: UserView = {
    isOnline: (id) => deps.presence.isOnline(id),
    avatarUrl: (uploadId) => signer.url(uploadId, 'thumbnail'),
  };
  const messageView = new MessagePresenter(repos, signer);
  // PGlite has one connection: a second batch would only queue behind the first.
  const storeQueue = new MessageStoreQueue(db, { concurrency: deps.database.kind === 'pglite' ? 1 : 4 });
  const publisher = new EventPublisher(repos, deps.bus, users, messageView, logger);
  const uploads = new UploadsService(db, repos, deps.blobs, signer, messageView, logger);
  const audit = new AuditService(repos, logger);
  const webhooks = new WebhooksService(db, repos, audit, logger, deps.webhooks);
  const admin = new AdminService(db, repos, publisher, audit, users, { adminUsername: deps.adminUsername ?? null }, logger);
  return {
    audit,
    admin,
    accounts: new AccountsService(repos, users, publisher, uploads, admin, logger),
    conversations: new ConversationsService(db, repos, publisher, users, messageView, audit),
    moderation: new ModerationService(db, repos, publisher, audit, users),
    tokens: new TokensService(db, repos, publisher, audit, users, deps.adminUsername ?? null),
    messages: new MessagesService(db, repos, publisher, users, messageView, logger, webhooks, storeQueue, deps.metrics),
    presence: new PresenceService(repos, publisher),
    reactions: new ReactionsService(db, repos, publisher),
    uploads,
    search: new SearchService(repos, messageView),
    exports: new ExportService(repos, audit, logger),
    webhooks,
    siteSettings: new SiteSettingsService(repos, audit),
  };
}

import type { Logger } from '../core/logger.js';
import type { Database } from '../db/database.js';
import { repositories } from '../db/repositories/index.js';
import type { Bus } from '../events/bus.js';
import type { BlobStore } from '../storage/blob-store.js';
import { AccountsService } from './accounts.service.js';
import { AuditService } from './audit.service.js';
import { ConversationsService } from './conversations.service.js';
import { EventPublisher } from './events.js';
import { MessagesService } from './messages.service.js';
import { PresenceService } from './presence.service.js';
import { MessagePresenter, type PresenceSource, type UserView } from './presenters.js';
import { ReactionsService } from './reactions.service.js';
import { SearchService } from './search.service.js';
import { UploadsService } from './uploads.service.js';
import type { UrlSigner } from './url-signer.js';

export interface Services {
  accounts: AccountsService;
  audit: AuditService;
  conversations: ConversationsService;
  messages: MessagesService;
  presence: PresenceService;
  reactions: ReactionsService;
  uploads: UploadsService;
  search: SearchService;
}

export interface ServiceDeps {
  database: Database;
  bus: Bus;
  logger: Logger;
  presence: PresenceSource;
  blobs: BlobStore;
  signer: UrlSigner;
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
  const publisher = new EventPublisher(repos, deps.bus, users, messageView, logger);
  const uploads = new UploadsService(db, repos, deps.blobs, signer, messageView, logger);
  const audit = new AuditService(repos, logger);
  return {
    audit,
    accounts: new AccountsService(repos, users, publisher, uploads, logger),
    conversations: new ConversationsService(db, repos, publisher, users, messageView),
    messages: new MessagesService(db, repos, publisher, users, messageView, logger),
    presence: new PresenceService(repos, publisher),
    reactions: new ReactionsService(db, repos, publisher),
    uploads,
    search: new SearchService(repos, messageView),
  };
}

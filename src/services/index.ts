import type { Logger } from '../core/logger.js';
import type { Database } from '../db/database.js';
import { repositories } from '../db/repositories/index.js';
import type { Bus } from '../events/bus.js';
import { AccountsService } from './accounts.service.js';
import { ConversationsService } from './conversations.service.js';
import { EventPublisher } from './events.js';
import { MessagesService } from './messages.service.js';
import { offlinePresence, type PresenceSource } from './presenters.js';
import { PresenceService } from './presence.service.js';
import { ReactionsService } from './reactions.service.js';

export interface Services {
  accounts: AccountsService;
  conversations: ConversationsService;
  messages: MessagesService;
  presence: PresenceService;
  reactions: ReactionsService;
}

/** Wires the services over one database and bus. */
export function createServices(deps: { database: Database; bus: Bus; logger: Logger; presence?: PresenceSource }): Services {
  const repos = repositories(deps.database.db);
  const presence = deps.presence ?? offlinePresence;
  const publisher = new EventPublisher(repos, deps.bus, presence, deps.logger);
  return {
    accounts: new AccountsService(repos, presence, publisher, deps.logger),
    conversations: new ConversationsService(deps.database.db, repos, publisher, presence),
    messages: new MessagesService(deps.database.db, repos, publisher, presence, deps.logger),
    presence: new PresenceService(repos, publisher),
    reactions: new ReactionsService(deps.database.db, repos, publisher),
  };
}

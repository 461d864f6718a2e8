/** REST bodies of integrations: incoming webhooks (a group's secret URLs that post into it). */
import { Type, type Static } from 'typebox';
import { Id, Message, Nullable, Timestamp } from './entities.js';
import { ClientMsgId } from './rest.js';

const strict = { additionalProperties: false } as const;

export const CreateIncomingWebhookBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64, description: "The integration's name: its messages show it as the sender" }) },
  strict,
);

export const IncomingWebhook = Type.Object({
  id: Id,
  conversationId: Id,
  name: Type.String(),
  /** The integration user its messages come from (a bot account nobody signs in as). */
  userId: Id,
  createdBy: Nullable(Id),
  createdAt: Timestamp,
  lastUsedAt: Nullable(Timestamp),
});
export type IncomingWebhook = Static<typeof IncomingWebhook>;

export const CreatedIncomingWebhook = Type.Object({
  ...IncomingWebhook.properties,
  url: Type.String({ description: 'POST Slack-format JSON here. Shown once: keep it secret (it is the only credential).' }),
});
export const IncomingWebhookList = Type.Object({ webhooks: Type.Array(IncomingWebhook) });

/** POST /conversations/{id}/commands: a slash command as typed (`/invite`, `invite`), and the rest of the line. */
export const RunCommandBody = Type.Object(
  {
    command: Type.String({ minLength: 1, maxLength: 64 }),
    text: Type.Optional(Type.String({ maxLength: 16_000 })),
    clientMsgId: Type.Optional(Nullable(ClientMsgId)),
  },
  strict,
);
export const CommandResult = Type.Object({
  message: Nullable(Message),
  response: Nullable(Type.Object({ text: Type.String() })),
});
export const CommandList = Type.Object({
  commands: Type.Array(Type.Object({ name: Type.String(), usage: Type.String(), description: Type.String(), groupsOnly: Type.Boolean() })),
});

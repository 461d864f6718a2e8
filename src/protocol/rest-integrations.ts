/** REST bodies of integrations: incoming webhooks (a group's secret URLs that post into it) and custom slash commands. */
import { Type, type Static } from 'typebox';
import { Id, Message, Nullable, Timestamp } from './entities.js';
import { ClientMsgId, WEBHOOK_URL_MAX_LENGTH } from './rest.js';

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
/** What a command run gives back: the message it sent, if it sent one, and/or a line for the caller alone. */
export const CommandResult = Type.Object({
  message: Nullable(Message),
  response: Nullable(Type.Object({ text: Type.String() })),
});
export type CommandResult = Static<typeof CommandResult>;
/** A command the composer suggests; `groupsOnly`: only in groups (inviting, leaving, the topic). */
export const CommandInfo = Type.Object({ name: Type.String(), usage: Type.String(), description: Type.String(), groupsOnly: Type.Boolean() });
export type CommandInfo = Static<typeof CommandInfo>;
export const CommandList = Type.Object({ commands: Type.Array(CommandInfo) });

/** A custom command's trigger: what follows the slash. */
export const SLASH_COMMAND_TRIGGER = '^[a-z0-9_-]{1,32}$';
export const SLASH_COMMAND_DESCRIPTION_MAX = 200;
export const SLASH_COMMAND_USAGE_MAX = 100;

export const CreateSlashCommandBody = Type.Object(
  {
    trigger: Type.String({ pattern: SLASH_COMMAND_TRIGGER, description: 'The word after the slash: 1-32 of a-z 0-9 _ -, not a built-in command' }),
    url: Type.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX_LENGTH, description: "Where each run is POSTed (Slack's form); http or https, no credentials, public addresses only unless WEBHOOK_ALLOW_PRIVATE=on" }),
    description: Type.Optional(Type.String({ maxLength: SLASH_COMMAND_DESCRIPTION_MAX, description: 'Shown in the composer\'s suggestions' })),
    usage: Type.Optional(Type.String({ maxLength: SLASH_COMMAND_USAGE_MAX, description: 'The arguments hint, e.g. `[environment]`' })),
  },
  strict,
);

export const SlashCommand = Type.Object({
  id: Id,
  conversationId: Id,
  trigger: Type.String(),
  url: Type.String(),
  description: Type.String(),
  usage: Type.String(),
  /** The integration user its in-channel replies come from (a bot account nobody signs in as). */
  userId: Id,
  createdBy: Nullable(Id),
  createdAt: Timestamp,
});
export type SlashCommand = Static<typeof SlashCommand>;

export const CreatedSlashCommand = Type.Object({
  ...SlashCommand.properties,
  signingSecret: Type.String({
    description: 'Signs every request (X-Parley-Signature, and Slack\'s X-Slack-Signature v0). Shown once: keep it secret.',
  }),
});
export const SlashCommandList = Type.Object({ commands: Type.Array(SlashCommand) });
export const SlashCommandParams = Type.Object({ id: Type.String(), commandId: Type.String() });

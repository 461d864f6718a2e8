/** English for the first screen (the shell, the inbox, a conversation and its composer): a chunk of its own,
 * loaded before the first render; web/src/i18n/index.ts. */
import { common } from './common.js';
import { time } from './time.js';
import { format } from './format.js';
import { app } from './app.js';
import { connection } from './connection.js';
import { shell } from './shell.js';
import { inbox } from './inbox.js';
import { conversation } from './conversation.js';
import { messages } from './messages.js';
import { composer } from './composer.js';
import { threads } from './threads.js';
import { status } from './status.js';
import { code } from './code.js';
import { preview } from './preview.js';
import { attachments } from './attachments.js';
import { markdown } from './markdown.js';
import { removal } from './removal.js';
import { groups } from './groups.js';
import { notify } from './notify.js';
import { system } from './system.js';
import { typing } from './typing.js';
import { push } from './push.js';
import { send } from './send.js';
import { emoji } from './emoji.js';

export const core = { common, time, format, app, connection, shell, inbox, conversation, messages, composer, threads, status, code, preview, attachments, markdown, removal, groups, notify, system, typing, push, send, emoji };

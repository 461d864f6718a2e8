/** English, the language every other catalog follows (web/src/i18n/types.ts); bundled with the client. */
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
import { profile } from './profile.js';
import { threads } from './threads.js';
import { pins } from './pins.js';
import { members } from './members.js';
import { status } from './status.js';
import { search } from './search.js';
import { picker } from './picker.js';
import { reactions } from './reactions.js';
import { code } from './code.js';
import { preview } from './preview.js';
import { attachments } from './attachments.js';
import { markdown } from './markdown.js';
import { removal } from './removal.js';
import { groups } from './groups.js';
import { notify } from './notify.js';
import { settings } from './settings.js';

export const en = { common, time, format, app, connection, shell, inbox, conversation, messages, composer, profile, threads, pins, members, status, search, picker, reactions, code, preview, attachments, markdown, removal, groups, notify, settings };

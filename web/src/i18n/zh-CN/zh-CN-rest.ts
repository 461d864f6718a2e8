/** Simplified Chinese for what opens later (the sign-in screen, dialogs and panels): a chunk of its own, loaded after
 * the first render and awaited by every lazily loaded screen that shows it; web/src/i18n/index.ts. */
import { profile } from './profile.js';
import { pins } from './pins.js';
import { members } from './members.js';
import { search } from './search.js';
import { picker } from './picker.js';
import { reactions } from './reactions.js';
import { settings } from './settings.js';
import { account } from './account.js';
import { storage } from './storage.js';
import { retention } from './retention.js';
import { admin } from './admin.js';
import { webhooks } from './webhooks.js';
import { auth } from './auth.js';
import { commands } from './commands.js';

export const rest = { profile, pins, members, search, picker, reactions, settings, account, storage, retention, admin, webhooks, auth, commands };

/**
 * Demo data, in this order: clear, users, groups, messages (Chinese and English). The one place
 * that seeds; it goes through the services so seqs, events and read state are what users make.
 */
import type { Logger } from '../core/logger.js';
import type { Services } from '../services/index.js';
import type { Actor } from '../services/identity/identity.js';
import type { Database } from '../db/database.js';
import { repositories } from '../db/repositories/index.js';

export const DEMO_PASSWORD = 'parley-demo';

const USERS = [
  { username: 'alice', displayName: 'Alice Martin' },
  { username: 'bob', displayName: 'Bob Chen' },
  { username: 'zhangwei', displayName: '张伟' },
  { username: 'lina', displayName: '李娜' },
  { username: 'carol', displayName: 'Carol 🎨' },
] as const;
type Username = (typeof USERS)[number]['username'];

const GROUPS: { name: string; description: string; visibility: 'public' | 'private'; owner: Username; members: Username[] }[] = [
  { name: 'General', description: 'Everyone, everything', visibility: 'public', owner: 'alice', members: ['bob', 'zhangwei', 'lina', 'carol'] },
  { name: '中文讨论', description: '用中文聊天的地方', visibility: 'public', owner: 'zhangwei', members: ['lina', 'bob'] },
  { name: 'Design team', description: 'Private: mock-ups and reviews', visibility: 'private', owner: 'carol', members: ['alice'] },
];

const MESSAGES: { group: string; from: Username; body: string }[] = [
  { group: 'General', from: 'alice', body: 'Welcome to Parley! 👋' },
  { group: 'General', from: 'bob', body: 'Hi all, glad to be here.' },
  { group: 'General', from: 'zhangwei', body: '大家好！很高兴认识你们。' },
  { group: 'General', from: 'carol', body: 'The new icons are ready for review 🎨' },
  { group: '中文讨论', from: 'zhangwei', body: '欢迎来到中文讨论组。' },
  { group: '中文讨论', from: 'lina', body: '今天的会议改到下午三点，大家注意时间。' },
  { group: '中文讨论', from: 'bob', body: '收到，谢谢！我的中文还在学习中 😄' },
  { group: 'Design team', from: 'carol', body: 'Draft of the onboarding screens is up.' },
  { group: 'Design team', from: 'alice', body: 'Looks great. Can we try a darker header?' },
];

/** Replaces all data with the demo set. */
export async function seed(database: Database, services: Services, logger: Logger): Promise<void> {
  const repos = repositories(database.db);
  // 1. clear: conversations first (their messages, members and events go with them), then users.
  await repos.conversations.deleteAll();
  await repos.users.deleteAll();
  logger.info('seed: cleared');

  // 2. users
  const actors = new Map<Username, Actor>();
  for (const u of USERS) {
    const { user, token } = await services.accounts.register({ username: u.username, password: DEMO_PASSWORD, displayName: u.displayName });
    const actor = await services.accounts.authenticate(token);
    if (!actor) throw new Error(`seed: could not sign in ${user.username}`);
    actors.set(u.username, actor);
  }
  const actor = (name: Username): Actor => actors.get(name)!;
  logger.info({ count: USERS.length }, 'seed: users');

  // 3. groups
  const groupIds = new Map<string, string>();
  for (const g of GROUPS) {
    const created = await services.conversations.createGroup(actor(g.owner), {
      name: g.name,
      description: g.description,
      visibility: g.visibility,
      memberIds: g.members.map((m) => actor(m).user.id),
    });
    groupIds.set(g.name, created.id);
  }
  const direct = await services.conversations.openDirect(actor('alice'), actor('zhangwei').user.id);
  logger.info({ count: GROUPS.length + 1 }, 'seed: conversations');

  // 4. messages
  for (const m of MESSAGES) {
    await services.messages.send(actor(m.from), groupIds.get(m.group)!, { body: m.body });
  }
  await services.messages.send(actor('alice'), direct.conversation.id, { body: 'Hi 张伟, do you have a minute?' });
  await services.messages.send(actor('zhangwei'), direct.conversation.id, { body: '当然可以，什么事？' });
  logger.info({ count: MESSAGES.length + 2 }, 'seed: messages');
}

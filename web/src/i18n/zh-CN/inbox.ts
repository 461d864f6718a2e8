/** The web client's inbox texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const inbox: Catalog['inbox'] = {
  noMessages: '暂无消息',
  sayHello: '打个招呼吧 👋',
  deleted: '消息已删除',
  you: '我：{{text}}',
  from: '{{name}}：{{text}}',
  mentions_other: '{{count}} 条提及',
  mentioned: '有人提及了你',
  unread_other: '{{count}} 条未读',
  label: '会话',
  filter: '筛选会话',
  draft: '草稿：',
  noMatch: '没有匹配的会话。',
  empty: '还没有会话。发起私聊或创建一个群组吧。',
};

/** The web client's search texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const search: Catalog['search'] = {
  title: '搜索消息',
  placeholder: '搜索消息，或使用 from:alice in:#design has:file',
  conversation: '会话',
  inThread: ' · 话题中',
  noResults: '未找到消息。',
  more: '更多结果',
  filters: '筛选：',
  filter: {
    from: '由 alice 发送（from:me 表示你自己）',
    in: '在该群组中（in:@alice：你与 alice 的私聊）',
    before: '在该日期之前发送（也可用 after:、on:）',
    has: '带有文件（has:link、has:reaction）',
    is: '已置顶（is:thread：话题中的回复）',
    phrase: '按此顺序出现的这些词',
  },
};

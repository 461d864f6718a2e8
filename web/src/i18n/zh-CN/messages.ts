/** The web client's messages texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const messages: Catalog['messages'] = {
  label: "消息",
  start: "这是会话的开始。",
  loading: "正在加载消息…",
  newDivider: "新消息",
  loadingNewer: "正在加载更新的消息…",
  empty: "暂无消息，打个招呼吧！",
  newAbove_other: "{{count}} 条新消息 ↑",
  newBelow_other: "{{count}} 条新消息 ↓",
  jumpLatest: "跳到最新 ↓",
  replyTo: "回复 {{name}}：跳转到原消息",
  deleted: "消息已删除",
  ambiguous: "这里有另一个人的名字与此相似",
  tombstone: "此消息已被删除。",
  editedAt: "编辑于 {{when}}",
  edited: "（已编辑）",
  alsoSent: "已同时发送到会话",
  seen: "已读",
  actions: "消息操作",
  reactWith: "用 {{emoji}} 回应",
  addReaction: "添加表情回应",
  replyInThread: "在话题中回复",
  notSent: "未发送：{{error}}",
  uploading: "上传中…",
  sending: "发送中…",
};

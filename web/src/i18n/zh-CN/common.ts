/** The web client's common texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const common: Catalog['common'] = {
  cancel: "取消",
  close: "关闭",
  dismiss: "关闭提示",
  save: "保存",
  loading: "加载中…",
  moreActions: "更多操作",
  unnamedGroup: "未命名群组",
  directChat: "私聊",
  privateGroup: "私密群组",
  muted: "已静音",
  error: {
    generic: "无法{{action}}。",
    unreachable: "无法{{action}}：无法连接服务器。",
    rateLimited: "无法{{action}}：请求过于频繁，请稍后再试。",
    withReason: "无法{{action}}：{{reason}}。",
  },
  someone: "某人",
  aMessage: "一条消息",
  delete: "删除",
  edit: "编辑",
  reply: "回复",
  pin: "置顶",
  unpin: "取消置顶",
  retry: "重试",
  discard: "放弃",
  members: "成员",
  remove: "移除 {{name}}",
};

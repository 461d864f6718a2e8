/** The web client's webhooks texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const webhooks: Catalog['webhooks'] = {
  needName: '请为 Webhook 命名（它发送的消息会显示此名称）。',
  revoked: 'Webhook“{{name}}”已撤销，其 URL 已失效。',
  copied: '已复制。',
  copyFailed: '复制失败：请选中文本后手动复制。',
  title: '集成',
  intro: '传入 Webhook 可让工具（CI、监控或任何为 Slack 编写的工具）向此群组发送消息。任何拥有其 URL 的人都能发送消息，请妥善保密。',
  none: '没有传入 Webhook。',
  by: '创建者：{{name}}',
  formerAdmin: '前任管理员',
  deletedUser: '已删除的用户',
  lastUsed: '最后使用于 {{when}}',
  neverUsed: '从未使用',
  revoke: '撤销',
  add: '添加传入 Webhook',
  addButton: '添加 Webhook',
  createdUrl: '“{{name}}”的 URL。请立即复制：它不会再次显示。',
  url: 'Webhook URL',
  copy: '复制',
  tryIt: '试一试：',
  revokeTitle: '撤销 Webhook',
  revokeText: '要撤销“{{name}}”吗？向其 URL 发送消息的工具将收到错误。它已发送的消息会保留。',
  action: {
    load: '加载集成',
    add: '添加 Webhook',
    revoke: '撤销 Webhook',
  },
};

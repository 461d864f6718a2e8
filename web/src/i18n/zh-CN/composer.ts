/** The web client's composer texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const composer: Catalog['composer'] = {
  replyingTo: '回复 <1>{{name}}</1>：',
  cancelReply: '取消回复',
  editing: '正在编辑消息',
  editingHint: '（回车保存，Esc 取消）',
  cancelEdit: '取消编辑',
  files: '待发送的文件',
  commands: '命令',
  mention: '提及某人',
  attach: '添加附件',
  saveEdit: '保存编辑',
  sendMessage: '发送消息',
  save: '保存',
  send: '发送',
  tooLong: '消息过长（{{length}} / {{max}} 个字符）。',
};

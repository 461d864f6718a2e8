/** The web client's notify texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const notify: Catalog['notify'] = {
  all: '所有消息',
  allHint: '每条消息都通知我',
  mentions: '仅提及',
  mentionsHint: '仅在有人 @提及我时通知',
  none: '不通知',
  noneHint: '在这里从不通知我',
  button: '通知：{{level}}',
  muted: '已静音',
  title: '此会话的通知设置',
  default: '（默认）',
  mute: '静音',
  unmute: '取消静音',
  desktop: {
    inGroup: '{{name}}（{{group}}）',
    attachments_other: '发送了 {{count}} 个附件',
    unsupported: '此浏览器无法显示通知。',
  },
  action: '更改此会话的通知设置',
};

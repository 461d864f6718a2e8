/** The web client's profile texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const profile: Catalog['profile'] = {
  title: '个人资料',
  nameEmpty: '显示名称不能为空。',
  saved: '个人资料已保存。',
  saveAction: '保存个人资料',
  choosePicture: '选择头像…',
  removePicture: '移除头像',
  security: '密码和邮箱',
  sessions: '登录会话',
  notifications: '通知',
  yourData: '你的数据',
  groupAdds: '群组邀请',
  apiTokens: 'API 令牌',
  displayName: '显示名称',
  language: '语言',
  languageAction: '保存语言设置',
  theme: '主题',
  themes: { system: '跟随系统', light: '浅色', dark: '深色' },
  themeAction: '保存主题',
};

/** The web client's shell texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const shell: Catalog['shell'] = {
  sidebar: '侧边栏',
  accountMenu: '{{name}} 的账号菜单',
  editStatus: '编辑状态…',
  setStatus: '设置状态…',
  notificationsPaused: '通知已暂停…',
  pauseNotifications: '暂停通知…',
  profile: '个人资料…',
  administration: '站点管理…',
  signOut: '退出登录',
  signOutAction: '在服务器上退出登录',
  newChat: '发起私聊',
  newGroup: '新建群组',
  browse: '浏览群组',
  search: '搜索消息（Ctrl+K）',
  notAvailable: '此会话不可用。',
  pick: '选择一个会话，或发起新的会话。',
};

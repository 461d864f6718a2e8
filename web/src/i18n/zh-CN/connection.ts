/** The web client's connection texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const connection: Catalog['connection'] = {
  state: {
    connecting: '连接中…',
    syncing: '同步中…',
    online: '在线',
    offline: '重新连接中…',
    closed: '离线',
  },
  outdated: 'Parley 已更新，当前页面版本过旧，无法继续通信。',
  reloadNow: '立即重新加载',
  newVersion: 'Parley 有新版本（{{version}}）可用。',
  reload: '重新加载',
  lost: '连接已断开。',
  reconnectingIn: '{{seconds}} 秒后重新连接；你发送的消息会被保留，连接恢复后自动发出。',
  reconnecting: '正在重新连接…你发送的消息会被保留，连接恢复后自动发出。',
  retryNow: '立即重试',
  connecting: '连接中…',
  disconnected: '已断开连接。',
  unsupported: '服务器已不再支持此版本的 Parley。',
};

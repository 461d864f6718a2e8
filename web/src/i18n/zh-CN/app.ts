/** The web client's app texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const app: Catalog['app'] = {
  sessionEnded: '你的会话已结束，请重新登录。',
  loadFailed: '无法加载你的会话列表，连接恢复后将自动重试。',
  backToParley: '返回 Parley',
  connecting: '正在连接 Parley…',
};

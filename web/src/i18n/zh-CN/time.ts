/** The web client's time texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const time: Catalog['time'] = {
  offline: '离线',
  lastSeen: '最后在线：{{when}}',
  lastSeenJustNow: '刚刚在线',
  used: '{{when}}使用过',
  usedJustNow: '刚刚使用过',
  justNow: '刚刚',
};

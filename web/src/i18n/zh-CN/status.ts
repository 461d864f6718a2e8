/** The web client's status texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const status: Catalog['status'] = {
  statusLabel: "状态：{{label}}",
  pausedUntil: "通知已暂停，直到 {{when}}",
  dnd: "免打扰",
  appHint: "应用或集成，而非真人",
  app: "应用",
  bannerPaused: "通知已暂停，直到",
  resume: "恢复",
  tomorrowAt: "明天 {{time}}",
  action: {
    resume: "恢复通知",
  },
};

/** The web client's pins texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const pins: Catalog['pins'] = {
  label: '置顶消息',
  close: '关闭置顶消息',
  empty: '还没有置顶消息。',
  goTo: '跳转到 {{name}} 的消息',
  pinnedBy: '由 {{name}} 置顶',
  action: {
    load: '加载置顶消息',
  },
  pinned: '已置顶',
};

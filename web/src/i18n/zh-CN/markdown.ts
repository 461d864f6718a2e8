/** The web client's markdown texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const markdown: Catalog['markdown'] = {
  done: '已完成',
  notDone: '未完成',
  image: '图片（未加载）：{{url}}',
};

/** The web client's code texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const code: Catalog['code'] = {
  copy: '复制',
  copyCode: '复制代码',
  copied: '已复制',
  copyFailed: '复制失败',
};

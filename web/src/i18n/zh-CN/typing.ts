/** The web client's typing texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const typing: Catalog['typing'] = {
  one: '{{name}} 正在输入…',
  two: '{{first}} 和 {{second}} 正在输入…',
  several: '多人正在输入…',
};

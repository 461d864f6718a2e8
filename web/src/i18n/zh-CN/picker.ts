/** The web client's picker texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const picker: Catalog['picker'] = {
  findPeople: '查找用户',
  choose: '选择',
  placeholder: '{{label}}：名称或用户名',
  noOne: '未找到用户。',
};

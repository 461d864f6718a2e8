/** The web client's removal texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const removal: Catalog['removal'] = {
  removed: '你已被移出 {{name}}。',
  removedBy: '你已被 {{by}} 移出 {{name}}。',
  banned: '你已被禁止加入 {{name}}。',
  bannedBy: '你已被 {{by}} 禁止加入 {{name}}。',
  aGroup: '某个群组',
};

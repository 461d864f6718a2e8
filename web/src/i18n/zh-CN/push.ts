/** The web client's push texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const push: Catalog['push'] = {
  blocked: '你已在浏览器设置中阻止此网站的通知。',
  unsupported: '此浏览器无法在此显示推送通知（需要 HTTPS 和 Push API）。',
};

/** The web client's push texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const push: Catalog['push'] = {
  blocked: "你已在浏览器设置中阻止此网站的通知。",
};

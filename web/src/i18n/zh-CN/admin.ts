/** The web client's admin texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const admin: Catalog['admin'] = {
  previews: {
    title: "链接预览",
    intro: "服务器会为新消息中的链接获取预览（标题、描述、图片）；阅读者不会直接访问被链接的网站。",
    toggle: "显示链接预览",
    action: "更改设置",
  },
};

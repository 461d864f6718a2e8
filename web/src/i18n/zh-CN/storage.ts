/** The web client's storage texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const storage: Catalog['storage'] = {
  noLimit: '{{used}}（无限制）',
  used: '已用存储',
  usedOf: '已用 {{used}}，共 {{quota}}（{{share}}）',
  yourFiles: '你的文件',
  files_other: '你上传了 {{count}} 个文件（无论是否在消息中）。删除带文件的消息可以释放其占用的空间。',
  title: '存储',
  perUser: '每人可保存 {{amount}}（UPLOAD_QUOTA_PER_USER；站点总量：UPLOAD_QUOTA_TOTAL）。',
  anyAmount: '任意数量的文件',
  person: '用户',
  files: '文件数',
  stored: '已存储',
  action: {
    mine: '加载你的存储用量',
    site: '加载存储统计',
  },
};

/** The web client's retention texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const retention: Catalog['retention'] = {
  badDays: '请输入 1 到 {{max}} 之间的整数天数，或留空。',
  kept: '消息将保留：{{meaning}}。',
  deleted_other: '超过 {{count}} 天的消息将连同其文件一起被删除。',
  label: '删除早于以下天数的消息',
  hint: '（天；留空：{{meaning}}）',
  warning: '较早的消息会连同文件一起为所有人删除，大约每小时执行一次。此操作无法撤销。',
  title: '消息保留期限',
  siteSetting: '沿用站点设置',
  forever: '永久保留',
  siteIntro: '适用于私聊以及所有未单独设置期限的群组。',
  action: {
    save: '保存保留期限',
    loadSettings: '加载设置',
  },
};

/** The web client's send texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const send: Catalog['send'] = {
  threadClosed: '此话题的首条消息已被删除，无法再回复。',
  muted: '你在此群组中已被禁言。',
  tooLarge: '文件过大。',
  cannotWrite: '你已无法在此发送消息。',
  notSent: '未发送。',
};

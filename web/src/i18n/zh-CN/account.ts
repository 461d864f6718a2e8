/** The web client's account texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const account: Catalog['account'] = {
  error: {
    invite_required: '此服务器仅限邀请注册：你需要邀请链接才能创建账号。',
    invite_invalid: '此邀请无效或已过期，请索取新的邀请。',
    email_domain_not_allowed: '注册需要使用此服务器允许的域名下的邮箱。',
    email_taken: '该邮箱已被其他账号使用。',
    wrong_password: '当前密码不正确。',
    password_not_set: '此账号没有可校验的密码（它使用其他方式登录）。',
    reset_code_invalid: '此重置链接无效、已过期或已被使用，请重新申请。',
    rate_limited: '尝试次数过多，请稍后再试。',
  },
  title: '密码和邮箱',
  needEmail: '请输入新的邮箱地址。',
  needPassword: '请输入密码以确认。',
  emailSaved: '邮箱地址已保存。',
  emailTitle: '邮箱地址',
  emailNow: '当前：{{email}}',
  noEmail: '尚未设置邮箱：添加邮箱后，忘记密码时可以重置。',
  newEmail: '新邮箱地址',
  yourPassword: '你的密码',
  saveEmail: '保存邮箱',
  needCurrent: '请输入当前密码。',
  tooShort: '密码至少需要 8 个字符。',
  differ: '两次输入的新密码不一致。',
  passwordChanged: '密码已更改，你的其他设备已退出登录。',
  passwordTitle: '密码',
  current: '当前密码',
  new: '新密码',
  again: '再次输入新密码',
  changeHint: '更改密码会让你的其他设备退出登录（不包括当前设备和 API 令牌）。',
  change: '更改密码',
  action: {
    email: '更改邮箱地址',
    password: '更改密码',
  },
};

/**
 * The texts the server writes to a person in their language (users.locale, default English): the
 * password reset e-mail, the digest of unread mentions and push notifications. The web client has
 * its own catalogs (web/src/i18n); these are the few sentences that leave the server.
 */

/** The languages Parley speaks; the first is the default. */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];

/** A saved locale as the server uses it: anything unknown (or none) is English. */
export function localeOf(saved: string | null | undefined): Locale {
  return (LOCALES as readonly string[]).includes(saved ?? '') ? (saved as Locale) : 'en';
}

export interface ServerText {
  push: {
    /** A group message's title: who, where. */
    groupTitle(sender: string, group: string): string;
    someGroup: string;
    attachments(n: number): string;
  };
  digest: {
    subject(n: number, firstSender: string): string;
    hello(name: string): string;
    intro(n: number): string;
    directMessage: string;
    someGroup: string;
    attachmentsOnly: string;
    /** "Ann in general (time):" */
    entry(who: string, where: string, at: string): string;
    open: string;
    why: string;
    changeAt(url: string): string;
    change: string;
  };
  reset: {
    subject(username: string): string;
    hello(name: string): string;
    lines(username: string, site: string): string[];
    openWithin: string;
    after: string[];
  };
}

const enPlural = new Intl.PluralRules('en');

const en: ServerText = {
  push: {
    groupTitle: (sender, group) => `${sender} in ${group}`,
    someGroup: 'a group',
    attachments: (n) => (enPlural.select(n) === 'one' ? 'sent an attachment' : `sent ${n} attachments`),
  },
  digest: {
    subject: (n, first) => (n === 1 ? `${first} mentioned you on Parley` : `You were mentioned ${n} times on Parley`),
    hello: (name) => `Hello ${name},`,
    intro: (n) => (n === 1 ? 'You were mentioned while you were away:' : `You were mentioned ${n} times while you were away:`),
    directMessage: 'a direct message',
    someGroup: 'a group',
    attachmentsOnly: '(attachments)',
    entry: (who, where, at) => `${who} in ${where} (${at}):`,
    open: 'Open the conversation',
    why: 'You get this e-mail because the e-mail digest is on in your notification settings.',
    changeAt: (url) => `Change it at ${url}`,
    change: 'Change it',
  },
  reset: {
    subject: (username) => `Reset your Parley password (${username})`,
    hello: (name) => `Hello ${name},`,
    lines: (username, site) => [`Someone (hopefully you) asked to reset the password of the Parley account "${username}" at ${site}.`],
    openWithin: 'To choose a new password, open this link within one hour:',
    after: ['The link works once. Setting a new password signs you out on every device.', 'If you did not ask for this, ignore this e-mail: your password stays as it is.'],
  },
};

const zhCN: ServerText = {
  push: {
    groupTitle: (sender, group) => `${sender}（${group}）`,
    someGroup: '某个群组',
    attachments: (n) => (n === 1 ? '发送了一个附件' : `发送了 ${n} 个附件`),
  },
  digest: {
    subject: (n, first) => (n === 1 ? `${first} 在 Parley 上提及了你` : `你在 Parley 上被提及了 ${n} 次`),
    hello: (name) => `${name}，你好：`,
    intro: (n) => (n === 1 ? '你离开期间有人提及了你：' : `你离开期间被提及了 ${n} 次：`),
    directMessage: '私聊',
    someGroup: '某个群组',
    attachmentsOnly: '（附件）',
    entry: (who, where, at) => `${who} 在 ${where}（${at}）：`,
    open: '打开会话',
    why: '你收到这封邮件，是因为你在通知设置中开启了邮件摘要。',
    changeAt: (url) => `可在此处更改：${url}`,
    change: '更改设置',
  },
  reset: {
    subject: (username) => `重置你的 Parley 密码（${username}）`,
    hello: (name) => `${name}，你好：`,
    lines: (username, site) => [`有人（希望是你本人）申请重置 ${site} 上 Parley 账号“${username}”的密码。`],
    openWithin: '如需设置新密码，请在一小时内打开此链接：',
    after: ['该链接只能使用一次。设置新密码后，你将在所有设备上退出登录。', '如果这不是你本人的操作，请忽略此邮件，你的密码不会改变。'],
  },
};

const CATALOGS: Record<Locale, ServerText> = { en, 'zh-CN': zhCN };

/** The server's sentences in this person's language (their saved locale; English when none). */
export function serverText(saved: string | null | undefined): ServerText {
  return CATALOGS[localeOf(saved)];
}

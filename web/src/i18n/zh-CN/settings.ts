/** The web client's settings texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const settings: Catalog['settings'] = {
  schedule: {
    legend: "免打扰时段",
    toggle: "每天在固定时段暂停通知",
    from: "开始",
    until: "结束",
    days: "日期",
    zone: "使用你的时区：{{zone}}。",
    zoneChanged: "使用你的时区：{{zone}}（保存时为 {{saved}}；再次保存将使用 {{zone}}）。",
    nextMorning: "结束时间早于或等于开始时间时，表示次日早上结束。",
    saved: "已保存。",
    save: "保存时段",
  },
  notifications: {
    title: "通知",
    intro: "打开 Parley 时，你会实时看到所有消息。你不在时，Parley 可以通过以下方式通知你：",
    push: "在此浏览器上显示桌面通知",
    pushUnsupported: "此浏览器无法从该地址接收推送通知（需要 HTTPS 和 Push API）。",
    email: "通过邮件提醒我未读的提及",
    delay: "提及未读多久后发送邮件",
    footer: "邮件会发送到你账号的邮箱（见“密码和邮箱”）。每个会话可以通过其标题栏中的 🔔 按钮选择“所有消息”“仅提及”或“不通知”，或将其静音。",
    pushOn: "已在此浏览器上开启桌面通知。",
    action: {
      load: "加载通知设置",
      save: "保存通知设置",
      push: "更改桌面通知",
    },
  },
  sessions: {
    title: "登录会话",
    intro: "已登录你账号的设备。退出某台设备后，其会话会立即结束。",
    thisDevice: "当前设备",
    unknownAddress: "未知地址",
    signedIn: "登录于 {{when}}",
    signOut: "退出登录",
    signOutOthers: "退出其他所有设备",
    signedOut: "{{device}} 已退出登录。",
    othersSignedOut: "其他所有设备均已退出登录。",
    action: {
      load: "加载登录会话",
      signOut: "让该设备退出登录",
      signOutOthers: "退出其他设备",
    },
  },
  blocks: {
    allowed: "{{name}} 又可以将你加入群组了。",
    intro: "任何人都可以将你加入群组，但以下用户除外。你仍可以自行加入他们的公开群组。",
    none: "没有被拒绝的用户。",
    allow: "允许",
    action: {
      load: "加载列表",
      allow: "重新允许",
    },
  },
};

/** The web client's conversation texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const conversation: Catalog['conversation'] = {
  gone: "该消息已不存在。",
  tooFarBack: "该消息太久远，无法在此显示。",
  adminsOnly: "此群组仅管理员可发言。",
  adminsOnlyNote: "此群组仅管理员可发言。你可以阅读消息并添加表情回应。",
  online: "在线",
  members_other: "{{count}} 位成员",
  membersPublic_other: "{{count}} 位成员 · 公开",
  back: "返回会话列表",
  pinnedMessages: "置顶消息",
  pinnedMessagesCount: "置顶消息（{{count}}）",
  pinned: "置顶",
  groupSettings: "群组设置",
  settings: "设置",
  placeholderGroup: "发消息到 #{{name}}",
  placeholderDirect: "发消息给 {{name}}",
  deleteTitle: "删除消息",
  deleteText: "要为所有人删除这条消息吗？此操作无法撤销。",
  action: {
    react: "添加表情回应",
    removePreview: "移除链接预览",
    pin: "置顶消息",
    unpin: "取消置顶消息",
    loadOlder: "加载更早的消息",
    loadNewer: "加载更新的消息",
    loadLatest: "加载最新消息",
    runCommand: "执行 /{{command}}",
    edit: "编辑消息",
    delete: "删除消息",
  },
};

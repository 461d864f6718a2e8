/** The web client's notify texts in English. */
export const notify = {
  all: 'All messages',
  allHint: 'Notify me of every message',
  mentions: 'Mentions only',
  mentionsHint: 'Only when someone @mentions me',
  none: 'Nothing',
  noneHint: 'Never notify me here',
  button: 'Notifications: {{level}}',
  muted: 'muted',
  title: 'Notifications for this conversation',
  default: ' (default)',
  mute: 'Mute',
  unmute: 'Unmute',
  action: 'change the notifications of this conversation',
  /** A notification shown by the page while its tab is hidden. */
  desktop: {
    inGroup: '{{name}} in {{group}}',
    attachments_one: 'sent an attachment',
    attachments_other: 'sent {{count}} attachments',
    unsupported: 'This browser cannot show notifications.',
  },
};

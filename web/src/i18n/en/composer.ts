/** The web client's composer texts in English. */
export const composer = {
  replyingTo: 'Replying to <1>{{name}}</1>:',
  cancelReply: 'Cancel reply',
  editing: 'Editing message',
  editingHint: '(Enter saves, Escape cancels)',
  cancelEdit: 'Cancel editing',
  files: 'Files to send',
  commands: 'Commands',
  mention: 'Mention someone',
  attach: 'Attach files',
  saveEdit: 'Save edit',
  sendMessage: 'Send message',
  save: 'Save',
  send: 'Send',
  tooLong: 'The message is too long ({{length}} / {{max}} characters).',
};

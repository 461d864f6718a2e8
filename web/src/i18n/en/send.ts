/** The web client's send texts in English. */
export const send = {
  threadClosed: 'This thread takes no new replies: its first message was deleted.',
  muted: 'You are muted in this group.',
  tooLarge: 'The file is too large.',
  cannotWrite: 'You can no longer write here.',
  notSent: 'Not sent.',
};

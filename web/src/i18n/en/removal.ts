/** The web client's removal texts in English. */
export const removal = {
  removed: 'You were removed from {{name}}.',
  removedBy: 'You were removed from {{name}} by {{by}}.',
  banned: 'You were banned from {{name}}.',
  bannedBy: 'You were banned from {{name}} by {{by}}.',
  aGroup: 'a group',
};

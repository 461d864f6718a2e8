/** The web client's pins texts in English. */
export const pins = {
  label: 'Pinned messages',
  close: 'Close pinned messages',
  empty: 'No pinned messages yet.',
  goTo: 'Go to the message by {{name}}',
  pinnedBy: 'Pinned by {{name}}',
  action: {
    load: 'load the pinned messages',
  },
  pinned: 'Pinned',
};

/** The web client's storage texts in English. */
export const storage = {
  noLimit: '{{used}} (no limit)',
  used: 'storage used',
  usedOf: '{{used}} of {{quota}} ({{share}})',
  yourFiles: 'Your files',
  files_one: '{{count}} file you uploaded, whether or not it is in a message. Deleting a message with files frees their space.',
  files_other: '{{count}} files you uploaded, whether or not they are in a message. Deleting a message with files frees their space.',
  title: 'Storage',
  perUser: 'Each person may keep {{amount}} (UPLOAD_QUOTA_PER_USER; the site: UPLOAD_QUOTA_TOTAL).',
  anyAmount: 'any amount of files',
  person: 'Person',
  files: 'Files',
  stored: 'Stored',
  action: {
    mine: 'load your storage',
    site: 'load the storage figures',
  },
};

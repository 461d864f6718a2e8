/** The web client's retention texts in English. */
export const retention = {
  badDays: 'Enter a whole number of days from 1 to {{max}}, or leave it empty.',
  kept: 'Messages are kept: {{meaning}}.',
  deleted_one: 'Messages older than {{count}} day will be deleted, with their files.',
  deleted_other: 'Messages older than {{count}} days will be deleted, with their files.',
  label: 'Delete messages older than',
  hint: '(days; empty: {{meaning}})',
  warning: 'Older messages are deleted for everyone, with their files, about once an hour. This cannot be undone.',
  title: 'Message retention',
  siteSetting: 'the site’s setting',
  forever: 'kept for ever',
  siteIntro: 'Applies to direct conversations and to every group that has no period of its own.',
  action: {
    save: 'save the retention period',
    loadSettings: 'load the settings',
  },
};

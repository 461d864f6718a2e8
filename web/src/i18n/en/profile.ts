/** The web client's profile texts in English. */
export const profile = {
  title: 'Your profile',
  nameEmpty: 'Your display name cannot be empty.',
  saved: 'Profile saved.',
  saveAction: 'save your profile',
  choosePicture: 'Choose picture…',
  removePicture: 'Remove picture',
  security: 'Password and e-mail',
  sessions: 'Sessions',
  notifications: 'Notifications',
  yourData: 'Your data',
  groupAdds: 'Group adds',
  apiTokens: 'API tokens',
  displayName: 'Display name',
  language: 'Language',
  languageAction: 'save your language',
};

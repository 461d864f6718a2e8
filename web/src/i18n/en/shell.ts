/** The web client's shell texts in English. */
export const shell = {
  sidebar: 'Sidebar',
  accountMenu: 'Account menu for {{name}}',
  editStatus: 'Edit status…',
  setStatus: 'Set a status…',
  notificationsPaused: 'Notifications paused…',
  pauseNotifications: 'Pause notifications…',
  profile: 'Profile…',
  administration: 'Administration…',
  signOut: 'Sign out',
  signOutAction: 'sign out on the server',
  newChat: 'New chat',
  newGroup: 'New group',
  browse: 'Browse',
  search: 'Search messages (Ctrl+K)',
  notAvailable: 'This conversation is not available.',
  pick: 'Pick a conversation, or start a new one.',
};

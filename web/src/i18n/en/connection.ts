/** The web client's connection texts in English. */
export const connection = {
  state: {
    connecting: 'Connecting…',
    syncing: 'Syncing…',
    online: 'Online',
    offline: 'Reconnecting…',
    closed: 'Offline',
  },
  outdated: 'Parley has been updated and this page is too old to talk to it.',
  reloadNow: 'Reload now',
  newVersion: 'A new version of Parley ({{version}}) is available.',
  reload: 'Reload',
  lost: 'Connection lost.',
  reconnectingIn: 'Reconnecting in {{seconds}} s; messages you send are kept and sent once it is back.',
  reconnecting: 'Reconnecting…; messages you send are kept and sent once it is back.',
  retryNow: 'Retry now',
  connecting: 'Connecting…',
  disconnected: 'Disconnected.',
  unsupported: 'This version of Parley is no longer supported by the server.',
};

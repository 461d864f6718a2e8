/** The web client's app texts in English. */
export const app = {
  sessionEnded: 'Your session has ended; please sign in again.',
  loadFailed: 'Could not load your conversations; retrying when the connection is back.',
  backToParley: 'Back to Parley',
  connecting: 'Connecting to Parley…',
};

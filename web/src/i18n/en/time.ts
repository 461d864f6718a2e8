/** The web client's time texts in English. */
export const time = {
  offline: 'offline',
  lastSeen: 'last seen {{when}}',
  lastSeenJustNow: 'last seen just now',
  used: 'used {{when}}',
  usedJustNow: 'used just now',
  justNow: 'just now',
};

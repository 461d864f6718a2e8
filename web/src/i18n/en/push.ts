/** The web client's push texts in English. */
export const push = {
  blocked: 'Notifications are blocked for this site in your browser settings.',
  unsupported: 'This browser cannot show push notifications here (it needs HTTPS and the Push API).',
};

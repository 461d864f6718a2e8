/** The web client's push texts in English. */
export const push = {
  blocked: "Notifications are blocked for this site in your browser settings.",
};

/** The web client's status texts in English. */
export const status = {
  statusLabel: "Status: {{label}}",
  pausedUntil: "Notifications paused until {{when}}",
  dnd: "Do not disturb",
  appHint: "An app or integration, not a person",
  app: "APP",
  bannerPaused: "Notifications paused until",
  resume: "Resume",
  tomorrowAt: "tomorrow {{time}}",
  action: {
    resume: "resume notifications",
  },
};

/** The web client's preview texts in English. */
export const preview = {
  remove: 'Remove preview',
};

/** The web client's reactions texts in English. */
export const reactions = {
  choose: 'Choose a reaction',
};

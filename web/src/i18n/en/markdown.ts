/** The web client's markdown texts in English. */
export const markdown = {
  done: 'Done',
  notDone: 'Not done',
  image: 'Image (not loaded): {{url}}',
};

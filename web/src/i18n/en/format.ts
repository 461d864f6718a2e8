/** The web client's format texts in English. */
export const format = {
  bytes_one: '{{n}} B',
  bytes_other: '{{n}} B',
};

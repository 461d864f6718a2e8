/** The web client's picker texts in English. */
export const picker = {
  findPeople: 'Find people',
  choose: 'Choose',
  placeholder: '{{label}}: name or username',
  noOne: 'No one found.',
};

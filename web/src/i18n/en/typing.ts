/** The web client's typing texts in English. */
export const typing = {
  one: '{{name}} is typing…',
  two: '{{first}} and {{second}} are typing…',
  several: 'Several people are typing…',
};

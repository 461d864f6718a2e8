/** The web client's search texts in English. */
export const search = {
  title: 'Search messages',
  placeholder: 'Search messages, or from:alice in:#design has:file',
  conversation: 'Conversation',
  inThread: ' · in thread',
  noResults: 'No messages found.',
  more: 'More results',
  filters: 'Filters:',
  filter: {
    from: 'sent by alice (from:me for you)',
    in: 'in that group (in:@alice: your chat with alice)',
    before: 'sent before that day (after:, on: too)',
    has: 'with a file (has:link, has:reaction)',
    is: 'pinned (is:thread: a thread reply)',
    phrase: 'these words in this order',
  },
};

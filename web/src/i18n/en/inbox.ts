/** The web client's inbox texts in English. */
export const inbox = {
  noMessages: 'No messages yet',
  sayHello: 'Say hello 👋',
  deleted: 'Message deleted',
  you: 'You: {{text}}',
  from: '{{name}}: {{text}}',
  mentions_one: '{{count}} mention',
  mentions_other: '{{count}} mentions',
  mentioned: 'You were mentioned',
  unread_one: '{{count}} unread',
  unread_other: '{{count}} unread',
  label: 'Conversations',
  filter: 'Filter conversations',
  draft: 'Draft:',
  noMatch: 'No conversation matches.',
  empty: 'No conversations yet. Start a direct chat or create a group.',
};

/** The custom emoji list after an emoji.created or emoji.deleted frame (kept by name). */
import type { CustomEmoji } from '../../../src/client/index.js';

export function applyEmojiChange(list: readonly CustomEmoji[], frame: { type: 'emoji.created'; emoji: CustomEmoji } | { type: 'emoji.deleted'; name: string }): CustomEmoji[] {
  const name = frame.type === 'emoji.created' ? frame.emoji.name : frame.name;
  const rest = list.filter((e) => e.name !== name);
  if (frame.type === 'emoji.deleted') return rest;
  return [...rest, frame.emoji].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

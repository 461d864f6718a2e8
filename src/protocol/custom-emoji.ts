/** Custom emoji (issue 22): wire shapes of GET/POST /emoji and DELETE /emoji/{name}. */
import { Type, type Static } from 'typebox';
import { Id, Nullable, Timestamp } from './entities.js';

/** A custom emoji: `:name:` in messages and reactions shows the image at `url`. */
export const CustomEmoji = Type.Object({
  name: Type.String({ description: '`[a-z0-9_+-]{1,64}`; written `:name:`' }),
  url: Type.String({ description: 'The image (WebP, at most 128×128): public and cacheable for ever (the URL changes with the image)' }),
  /** The site admin who added it; null once that account is gone. */
  creator: Nullable(Type.Object({ id: Id, username: Type.String(), displayName: Type.String() })),
  createdAt: Timestamp,
});
export type CustomEmoji = Static<typeof CustomEmoji>;

export const CustomEmojiList = Type.Object({ emoji: Type.Array(CustomEmoji, { description: 'By name' }) });
export type CustomEmojiList = Static<typeof CustomEmojiList>;

export const EmojiNameParams = Type.Object({ name: Type.String({ maxLength: 200 }) }, { additionalProperties: false });

/** The image's query: `v` is the first characters of its hash (what makes the URL change with the image). */
export const EmojiImageQuery = Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false });

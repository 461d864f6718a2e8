/**
 * Custom emoji in the web client: the site's list from the store, the name → image map that
 * message text and reactions draw from, and how one emoji (a reaction, a picker entry) is drawn.
 * A `:name:` with no custom emoji (deleted, or never one) stays text; a standard short name
 * shows its Unicode emoji.
 */
import { useContext, useMemo, useSyncExternalStore } from 'react';
import { shortcodeName, standardEmoji, type CustomEmoji } from '../../src/client/index.js';
import { StoreContext } from './store/hooks.js';

/** Custom emoji names and their image URLs. */
export type EmojiImages = ReadonlyMap<string, string>;

const NONE: CustomEmoji[] = [];
const noSubscribe = () => () => undefined;

/** The site's custom emoji by name (none outside a signed-in page). */
export function useCustomEmoji(): CustomEmoji[] {
  const store = useContext(StoreContext);
  return useSyncExternalStore(store?.subscribe ?? noSubscribe, () => store?.getState().customEmoji ?? NONE);
}

/** Name → image URL of the site's custom emoji. */
export function useEmojiImages(): EmojiImages {
  const store = useContext(StoreContext);
  const list = useCustomEmoji();
  return useMemo(() => new Map(list.map((e) => [e.name, store ? store.api.resolveUrl(e.url) : e.url])), [list, store]);
}

/** A custom emoji's image, sized like the text around it. */
export function CustomEmojiImage({ name, url }: { name: string; url: string }) {
  return <img className="custom-emoji" src={url} alt={`:${name}:`} title={`:${name}:`} draggable={false} data-testid="custom-emoji" data-name={name} />;
}

/** One emoji as stored (Unicode or `:name:`): a custom emoji's image, a standard name's Unicode, else the text. */
export function EmojiGlyph({ emoji, images }: { emoji: string; images: EmojiImages }) {
  const name = shortcodeName(emoji);
  if (name === null) return <>{emoji}</>;
  const url = images.get(name);
  if (url) return <CustomEmojiImage name={name} url={url} />;
  return <>{standardEmoji(name) ?? emoji}</>;
}

/** Pinned messages (GET/PUT/DELETE /conversations/{id}/pins). */
import { Type, type Static } from 'typebox';
import { Id, Message, Nullable, Timestamp } from './entities.js';

export const Pin = Type.Object({
  message: Message,
  /** Who pinned it; null once that account is gone. */
  pinnedBy: Nullable(Id),
  pinnedAt: Timestamp,
});
export type Pin = Static<typeof Pin>;

export const PinList = Type.Object({ pins: Type.Array(Pin, { description: 'newest pin first; deleted messages left out' }) });
export type PinList = Static<typeof PinList>;

export const PinParams = Type.Object({ id: Type.String(), messageId: Type.String() });

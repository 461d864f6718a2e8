/** Refusing group adds by a person (GET/PUT/DELETE /users/me/add-blocks, DELETE /groups/{id}/members/{me}?blockAdder=true). */
import { Type, type Static } from 'typebox';
import { Nullable, Timestamp, User } from './entities.js';

export const AddBlock = Type.Object({
  /** The person who may not add you to groups. */
  user: User,
  createdAt: Timestamp,
});
export type AddBlock = Static<typeof AddBlock>;

export const AddBlockList = Type.Object({ blocks: Type.Array(AddBlock, { description: 'oldest first' }), nextCursor: Nullable(Type.String()) });
export type AddBlockList = Static<typeof AddBlockList>;

export const AddBlockParams = Type.Object({ userId: Type.String() });

export const LeaveQuery = Type.Object(
  {
    blockAdder: Type.Optional(
      Type.Boolean({ description: 'Leaving yourself: also refuse further group adds by whoever added you (GET /users/me/add-blocks lists them).' }),
    ),
  },
  { additionalProperties: false },
);

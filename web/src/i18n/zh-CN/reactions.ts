/** The web client's reactions texts in Simplified Chinese. */
import type { Catalog } from '../types.js';

export const reactions: Catalog['reactions'] = {
  choose: '选择表情回应',
};

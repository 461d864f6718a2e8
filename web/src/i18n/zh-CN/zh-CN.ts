/** Simplified Chinese, whole: both of its parts (the client loads them apart, zh-CN-core.ts and zh-CN-rest.ts),
 * checked against English's keys by the type. */
import type { Catalog } from '../types.js';
import { core } from './zh-CN-core.js';
import { rest } from './zh-CN-rest.js';

export const zhCN: Catalog = { ...core, ...rest };

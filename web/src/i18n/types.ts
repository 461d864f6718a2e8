/** The shape every catalog has: English's, with the same keys (a plural's `_one` may be absent where the language has no such form). */
import type { en } from './en/index.js';

type Strings<T> = {
  [K in keyof T as K extends `${string}_one` ? never : K]: T[K] extends string ? string : Strings<T[K]>;
} & {
  [K in keyof T as K extends `${string}_one` ? K : never]?: string;
};

export type Catalog = Strings<typeof en>;

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof en };
  }
}

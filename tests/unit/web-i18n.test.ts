/**
 * The web client's languages (web/src/i18n): every English key has its Simplified Chinese
 * translation and no Chinese key is left over, with the same interpolation variables and the
 * plural forms each language needs (Intl.PluralRules); no text a person reads is written into the
 * client's source instead of coming from the catalogs; the locale follows the browser's languages.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { browserLocale, matchLocale } from '../../web/src/i18n/index.js';
import { en } from '../../web/src/i18n/en/index.js';
import { zhCN } from '../../web/src/i18n/zh-CN/zh-CN.js';
import { literalsIn, literalsUnder } from '../helpers/jsx-literals.js';

type Tree = { [key: string]: string | Tree };
const PLURAL = /_(zero|one|two|few|many|other)$/;

/** Every leaf as "a.b.c" → text. */
function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of leaves(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}

/** The keys as t() names them: a plural's forms are one key. */
const baseKeys = (m: Map<string, string>) => new Set([...m.keys()].map((k) => k.replace(PLURAL, '')));
const variables = (s: string) => [...s.matchAll(/\{\{\s*(\w+)[^}]*\}\}/g)].map((m) => m[1]!).sort();
const tags = (s: string) => [...s.matchAll(/<\/?(\w+)>/g)].map((m) => m[0]).sort();

const EN = leaves(en as Tree);
const ZH = leaves(zhCN as Tree);

describe('the web catalogs', () => {
  it('have the same keys in English and Simplified Chinese', () => {
    const enKeys = baseKeys(EN);
    const zhKeys = baseKeys(ZH);
    expect([...enKeys].filter((k) => !zhKeys.has(k)), 'missing in zh-CN').toEqual([]);
    expect([...zhKeys].filter((k) => !enKeys.has(k)), 'only in zh-CN').toEqual([]);
  });

  it('use the same interpolation variables and markup in both languages', () => {
    const wrong: string[] = [];
    for (const key of baseKeys(EN)) {
      const forms = (m: Map<string, string>) => [...m].filter(([k]) => k === key || k.replace(PLURAL, '') === key).map(([, v]) => v);
      const enVars = new Set(forms(EN).flatMap(variables));
      const zhVars = new Set(forms(ZH).flatMap(variables));
      // A plural's count may be left out of a form that says it in words ("an attachment").
      enVars.delete('count');
      zhVars.delete('count');
      if ([...enVars].sort().join() !== [...zhVars].sort().join()) wrong.push(`${key}: ${[...enVars]} / ${[...zhVars]}`);
      const enTags = [...new Set(forms(EN).flatMap(tags))].sort().join();
      const zhTags = [...new Set(forms(ZH).flatMap(tags))].sort().join();
      if (enTags !== zhTags) wrong.push(`${key}: markup ${enTags} / ${zhTags}`);
    }
    expect(wrong).toEqual([]);
  });

  it('have every plural form each language needs (Intl.PluralRules)', () => {
    const missing: string[] = [];
    for (const [lang, leavesOf] of [
      ['en', EN],
      ['zh-CN', ZH],
    ] as const) {
      const categories = new Intl.PluralRules(lang).resolvedOptions().pluralCategories;
      const plurals = new Set([...leavesOf.keys()].filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, '')));
      for (const base of plurals) for (const c of categories) if (!leavesOf.has(`${base}_${c}`)) missing.push(`${lang} ${base}_${c}`);
    }
    expect(missing).toEqual([]);
  });

  it('leave no text empty, and none of the Chinese in English', () => {
    expect([...EN].filter(([, v]) => !v.trim()).map(([k]) => k)).toEqual([]);
    expect([...ZH].filter(([, v]) => !v.trim()).map(([k]) => k)).toEqual([]);
    // A Chinese text identical to the English one is an untranslated copy, except names and symbols.
    // Examples of what is typed as is (a command, a URL, an emoji's name) stay the same too.
    const SAME_IS_FINE = /^(format\.bytes_other|messages\.reaction|system\.changes|webhooks\.url|status\.app|commands\.(trigger|url)Placeholder|emoji\.admin\.namePlaceholder)$/;
    const copies = [...ZH].filter(([k, v]) => /\p{L}{2}/u.test(v.replace(/\{\{\w+\}\}/g, '')) && EN.get(k) === v && !SAME_IS_FINE.test(k)).map(([k]) => k);
    expect(copies).toEqual([]);
  });
});

describe('the web client source', () => {
  it('writes no text a person reads outside the catalogs', () => {
    const found = literalsUnder(path.resolve(import.meta.dirname, '../../web/src')).filter((l) => !l.file.includes(`${path.sep}i18n${path.sep}`));
    expect(found.map((l) => `${path.relative(process.cwd(), l.file)}:${l.line}: ${l.text}`)).toEqual([]);
  });

  it('the check finds JSX text, text attributes, shown string expressions and toasts, not keys or class names', () => {
    const src = `
      export function A({ busy }: { busy: boolean }) {
        toast('Saved it');
        setError(errorText(err, 'save the thing'));
        return (
          <div className="box big" title="Hello there" data-testid="a-b">
            Plain words
            <input placeholder={t('x.y')} aria-label={\`Remove \${name}\`} />
            {busy ? 'Saving…' : t('common.save')}
            {kind === 'group' ? <b>{t('k')}</b> : null}
            <code>from:</code> {'·'} P
          </div>
        );
      }`;
    expect(literalsIn('a.tsx', src).map((l) => l.text)).toEqual(['Saved it', 'save the thing', 'Hello there', 'Plain words', 'Remove …', 'Saving…']);
  });
});

describe('the locale', () => {
  it('follows the first of the browser languages Parley speaks', () => {
    expect(browserLocale(['zh-CN', 'en-US'])).toBe('zh-CN');
    expect(browserLocale(['fr-FR', 'zh-Hans-CN', 'en'])).toBe('zh-CN');
    expect(browserLocale(['en-GB', 'zh-CN'])).toBe('en');
    expect(browserLocale(['de-DE'])).toBe('en');
    expect(browserLocale([])).toBe('en');
    expect(matchLocale('zh-TW')).toBe('zh-CN');
    expect(matchLocale('ja')).toBeNull();
  });
});

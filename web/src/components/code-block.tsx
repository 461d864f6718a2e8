/**
 * A fenced or indented code block of a message: its whitespace kept, long lines scrolling, a
 * Copy button, and syntax highlighting for a named language once web/src/highlight.ts (a
 * separate chunk, loaded on the first such block) is there; until then, and for any language it
 * doesn't know, the plain code.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

/** The copy of the code, or a fallback for a browser without the asynchronous clipboard. */
async function copyText(text: string, pre: HTMLElement | null): Promise<void> {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  if (!pre) throw new Error('nothing to copy');
  const range = document.createRange();
  range.selectNodeContents(pre);
  const selection = window.getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
  const ok = document.execCommand('copy');
  selection?.removeAllRanges();
  if (!ok) throw new Error('copy refused');
}

export function CodeBlock({ code, lang }: { code: string; lang: string }) {
  const { t } = useTranslation();
  const [highlighted, setHighlighted] = useState<ReactNode | null>(null);
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    setHighlighted(null);
    if (!lang) return;
    let live = true;
    import('../highlight.js')
      .then((h) => {
        if (live) setHighlighted(h.highlight(code, lang));
      })
      // Highlighting is a nicety: the plain code stays when the chunk can't load.
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [code, lang]);

  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(null), 1500);
    return () => clearTimeout(t);
  }, [copied]);

  return (
    <div className="md-code-block" data-testid="code-block" data-lang={lang || undefined}>
      <div className="md-code-head">
        <span className="md-code-lang">{lang}</span>
        <button
          type="button"
          className="btn-link md-code-copy"
          data-testid="code-copy"
          aria-label={t('code.copyCode')}
          onClick={() => {
            copyText(code, pre.current).then(
              () => setCopied('yes'),
              () => setCopied('failed'),
            );
          }}
        >
          {copied === 'yes' ? t('code.copied') : copied === 'failed' ? t('code.copyFailed') : t('code.copy')}
        </button>
      </div>
      <pre ref={pre} className="md-pre" dir="ltr" tabIndex={0}>
        <code className={lang ? `hljs language-${lang}` : 'hljs'} data-testid="code" data-highlighted={highlighted ? 'true' : 'false'}>
          {highlighted ?? code}
        </code>
      </pre>
    </div>
  );
}

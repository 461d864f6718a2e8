/**
 * Syntax highlighting of fenced code blocks, loaded only when a message has one in a language
 * it knows (web/src/components/code-block.tsx imports this module dynamically: highlight.js and
 * its grammars stay out of the first page's JavaScript). lowlight gives a tree, made into React
 * elements here: the highlighted code is never HTML.
 */
import { createElement, type ReactNode } from 'react';
import { common, createLowlight } from 'lowlight';

const lowlight = createLowlight(common);

type Nodes = ReturnType<typeof lowlight.highlight>['children'];

function toReact(nodes: Nodes): ReactNode[] {
  return nodes.map((n) => {
    if (n.type === 'text') return n.value;
    if (n.type !== 'element') return null;
    const className = n.properties.className;
    // Grammars nest a few levels at most: recursion is bounded by highlight.js, not the message.
    return createElement('span', { className: Array.isArray(className) ? className.join(' ') : undefined }, ...toReact(n.children as Nodes));
  });
}

/** The code as highlighted elements, or null for a language it doesn't know (a name or an alias: ts, py, sh…). */
export function highlight(code: string, language: string): ReactNode | null {
  const name = language.toLowerCase();
  if (!lowlight.registered(name)) return null;
  return createElement('span', { className: 'hljs-root' }, ...toReact(lowlight.highlight(name, code).children));
}

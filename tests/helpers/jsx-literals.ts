/**
 * Finds text a person would read that is written into the web client's source instead of coming
 * from the catalogs (web/src/i18n): JSX text with letters, string literals with letters in
 * user-facing attributes (aria-label, title, placeholder, alt, labels) or as JSX children (also
 * through `a ? 'x' : 'y'` and `a || 'x'`), and literals passed to toast(), setError() or as
 * errorText()'s action. Text inside <code> is syntax, not language.
 * Literals given to other calls (t('key'), a className helper) and compared with (`kind === 'group'`)
 * are not text.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Attributes whose value is read or heard by a person. */
const TEXT_ATTRIBUTE = /^(aria-label|aria-description|aria-roledescription|aria-valuetext|aria-placeholder|title|placeholder|alt|label|[a-z]+(Label|Title|Text|Message|Placeholder|Hint))$/;
/** Calls and which of their arguments is shown to a person (errorText's second is the failed action). */
const TEXT_CALLS = new Map([
  ['toast', 0],
  ['setError', 0],
  ['alert', 0],
  ['confirm', 0],
  ['errorText', 1],
]);
const LETTER = /\p{L}/u;
/** Not language: a logo's letter or an acronym ("P", "CI"), an example domain ("example.com"). */
const NOT_LANGUAGE = /^(?:[A-Z]{1,3}|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})$/;
const isText = (s: string) => LETTER.test(s) && !NOT_LANGUAGE.test(s.trim());

export interface Literal {
  file: string;
  line: number;
  text: string;
}

function textOf(node: ts.Node): string | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return [node.head.text, ...node.templateSpans.map((s) => s.literal.text)].join('…');
  return null;
}

/** Whether the value of this expression ends up as a JSX child or a text attribute (through ?:, ||, ??, &&, parentheses). */
function shownInJsx(node: ts.Node): boolean {
  let child: ts.Node = node;
  let parent: ts.Node | undefined = node.parent;
  while (parent) {
    if (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent)) {
      // through
    } else if (ts.isConditionalExpression(parent)) {
      if (child === parent.condition) return false;
    } else if (ts.isBinaryExpression(parent)) {
      const op = parent.operatorToken.kind;
      const passes = op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken || (op === ts.SyntaxKind.AmpersandAmpersandToken && child === parent.right) || op === ts.SyntaxKind.PlusToken;
      if (!passes) return false;
    } else if (ts.isJsxExpression(parent)) {
      const owner = parent.parent;
      if (ts.isJsxAttribute(owner)) return TEXT_ATTRIBUTE.test(owner.name.getText());
      return ts.isJsxElement(owner) || ts.isJsxFragment(owner);
    } else {
      return false;
    }
    child = parent;
    parent = parent.parent;
  }
  return false;
}

/** Text inside <code>: syntax the reader types (from:, in:), the same in every language. */
function inCode(node: ts.Node): boolean {
  const parent = node.parent;
  return ts.isJsxElement(parent) && parent.openingElement.tagName.getText() === 'code';
}

function calledFor(node: ts.Node): boolean {
  const call = node.parent;
  if (!call || !ts.isCallExpression(call)) return false;
  const callee = call.expression;
  const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
  const index = TEXT_CALLS.get(name);
  return index !== undefined && call.arguments[index] === node;
}

/** The untranslated texts of one source file. */
export function literalsIn(file: string, source: string): Literal[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, file.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: Literal[] = [];
  const add = (node: ts.Node, text: string) => found.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text: text.trim() });
  const visit = (node: ts.Node) => {
    if (ts.isJsxText(node)) {
      if (isText(node.text) && !inCode(node)) add(node, node.text);
    } else if (ts.isJsxAttribute(node) && node.initializer && ts.isStringLiteral(node.initializer)) {
      if (TEXT_ATTRIBUTE.test(node.name.getText()) && isText(node.initializer.text)) add(node, node.initializer.text);
    } else {
      const text = textOf(node);
      if (text !== null && isText(text) && (shownInJsx(node) || calledFor(node))) add(node, text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Every untranslated text under a folder (.ts and .tsx files). */
export function literalsUnder(dir: string): Literal[] {
  const out: Literal[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.tsx?$/.test(entry.name) || entry.name.endsWith('.d.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    out.push(...literalsIn(file, fs.readFileSync(file, 'utf8')));
  }
  return out;
}

/**
 * The web client's dark palette is written twice in web/src/styles/theme.css: once for a device set to dark
 * (prefers-color-scheme, unless the account chose light) and once for an account that chose dark
 * (data-theme="dark"); CSS cannot share one block between a media query and a selector. The two
 * must declare the same colours: they drifted once (the chosen dark theme kept an accent that
 * failed contrast after the system one was mended).
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const css = fs.readFileSync(path.join(import.meta.dirname, '../../web/src/styles/theme.css'), 'utf8');

/** The custom properties a block declares, by name (comments dropped). */
function declarations(block: string): Record<string, string> {
  const text = block.replace(/\/\*[\s\S]*?\*\//g, '');
  return Object.fromEntries([...text.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]));
}

function blockAfter(marker: string): string {
  const at = css.indexOf(marker);
  expect(at, marker).toBeGreaterThanOrEqual(0);
  const open = css.indexOf('{', at + marker.length - 1);
  return css.slice(open + 1, css.indexOf('}', open));
}

describe('the dark palette', () => {
  it('is the same for a device in dark mode and for an account that chose dark', () => {
    const system = declarations(blockAfter(":root:not([data-theme='light']) {"));
    const chosen = declarations(blockAfter(":root[data-theme='dark'] {"));
    expect(Object.keys(system).length).toBeGreaterThan(15);
    expect(chosen).toEqual(system);
  });

  it('sets every colour the light palette sets, code highlighting included', () => {
    const light = declarations(blockAfter(':root {'));
    const dark = declarations(blockAfter(":root[data-theme='dark'] {"));
    const themed = Object.keys(light).filter((k) => !['--radius', '--sidebar-width', '--font'].includes(k));
    expect(themed.filter((k) => !(k in dark))).toEqual([]);
  });
});

/**
 * `npm run check`: what `npm run typecheck` and `npm run lint` check, on one pair of TypeScript
 * programs (tsconfig.json and web/tsconfig.json). Separately, tsc checks every file and then
 * eslint's type-aware rules build the same programs again and ask for the same types: measured
 * (2026-12-06, one run each on a quiet machine) 45 + 76 s of CPU, against 69 s here. `npm test`
 * runs this; the two scripts stay for running one alone. Exit status 1 when either finds an error.
 *
 * The lint is eslint.config.js as `npm run lint` runs it, with the programs given to
 * typescript-eslint instead of its project service (a file in neither program is then an error,
 * as a file outside every tsconfig is for the project service), then dependency-cruiser's layers.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(ROOT);

const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
const report = (diagnostics: readonly ts.Diagnostic[]): void => {
  if (diagnostics.length === 0) return;
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  process.stdout.write(format(diagnostics, host));
};

/**
 * A program as `tsc --noEmit -p CONFIG` makes it: the configuration's own errors (a syntax error in
 * it included) come with the program's diagnostics.
 */
function program(config: string): ts.Program {
  const fatal: ts.Diagnostic[] = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(config, { noEmit: true }, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fatal.push(d) });
  if (!parsed) {
    report(fatal);
    process.exit(1);
  }
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
  });
}

let failed = false;

// typecheck: `tsc --noEmit && tsc --noEmit -p web`. The web program comes first so that eslint
// takes a web/src file from it (typescript-eslint uses the first program holding a file), as the
// project service does by the nearest tsconfig; the root program holds the web files that tests import.
const programs = ['web/tsconfig.json', 'tsconfig.json'].map((config) => {
  const p = program(config);
  const diagnostics = ts.getPreEmitDiagnostics(p);
  report(diagnostics);
  if (diagnostics.some((d) => d.category === ts.DiagnosticCategory.Error)) failed = true;
  process.stdout.write(`typecheck ${config}: ${diagnostics.length === 0 ? 'no errors' : `${diagnostics.length} diagnostics`}\n`);
  return p;
});

// lint: `eslint .`
const eslint = new ESLint({ overrideConfig: [{ files: ['**/*.ts', '**/*.tsx'], languageOptions: { parserOptions: { projectService: false, programs } } }] });
const results = await eslint.lintFiles(['.']);
const output = await (await eslint.loadFormatter('stylish')).format(results);
if (output) process.stdout.write(`${output}\n`);
// errorCount counts the fatal ones (a file that does not parse) too.
const errors = results.reduce((n, r) => n + r.errorCount, 0);
if (errors > 0) failed = true;
process.stdout.write(`lint: ${errors} errors (${results.length} files linted)\n`);

// lint, second part: the layers (`depcruise src web/src --config .dependency-cruiser.cjs --output-type err`)
const depcruise = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'depcruise'), ['src', 'web/src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { stdio: 'inherit' });
if (depcruise.status !== 0) failed = true;

process.exit(failed ? 1 : 0);

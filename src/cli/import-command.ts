/**
 * `npm run admin -- import slack EXPORT.zip` and `import mattermost BULK.jsonl`: parses nothing
 * itself (import.service.ts and its sources do), shows progress on stderr (a bar redrawn in place
 * on a terminal, a line every 10% otherwise) and prints the summary on stdout.
 */
import { ImportService, ImportFormatError, type ImportSource, type ImportSummary } from '../services/data/import.service.js';
import { MattermostSource } from '../services/data/import/mattermost-source.js';
import { SlackSource } from '../services/data/import/slack-source.js';
import type { ImportProgress } from '../services/data/import.service.js';
import type { Logger } from '../core/logger.js';
import type { BlobStore } from '../storage/blob-store.js';
import { CliError, type CommandContext } from './admin-commands.js';

export const IMPORT_SOURCES = ['slack', 'mattermost'] as const;
export type ImportSourceName = (typeof IMPORT_SOURCES)[number];

const BAR = 30;

/** Draws the progress: in place on a terminal, else a line at each tenth. */
export function progressPrinter(stderr: { write(text: string): unknown; isTTY?: boolean }): { update(p: ImportProgress): void; end(): void } {
  const started = Date.now();
  let lastDraw = 0;
  let lastTenth = -1;
  let drawn = false;
  return {
    update(p) {
      const now = Date.now();
      if (p.phase === 'checking') {
        if (stderr.isTTY && now - lastDraw > 100) {
          stderr.write(`\rchecking the export: ${p.done.toLocaleString('en')} messages read`);
          lastDraw = now;
          drawn = true;
        }
        return;
      }
      const total = p.total ?? 0;
      const share = total === 0 ? 1 : p.done / total;
      const rate = Math.round(p.done / Math.max(0.001, (now - started) / 1000));
      const text = `${p.done.toLocaleString('en')}/${total.toLocaleString('en')} messages (${Math.floor(share * 100)}%, ${rate.toLocaleString('en')}/s)`;
      if (stderr.isTTY) {
        if (now - lastDraw < 100 && p.done < total) return;
        const filled = Math.round(share * BAR);
        stderr.write(`\r\x1b[2Kimporting [${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${text}`);
        lastDraw = now;
        drawn = true;
      } else {
        const tenth = Math.floor(share * 10);
        if (tenth !== lastTenth) stderr.write(`importing: ${text}\n`);
        lastTenth = tenth;
      }
    },
    end() {
      if (drawn) stderr.write('\n');
    },
  };
}

export function summaryLines(s: ImportSummary): string[] {
  const n = (x: number): string => x.toLocaleString('en');
  return [
    `users: ${n(s.usersMatched)} matched by e-mail, ${n(s.usersCreated)} created (deactivated until they sign in), ${n(s.usersKnown)} from an earlier run`,
    `conversations: ${n(s.conversationsCreated)} created, ${n(s.conversationsContinued)} from an earlier run, ${n(s.conversationsSkipped.length)} skipped`,
    ...s.conversationsSkipped.map((c) => `  skipped ${c.key}: ${c.reason}`),
    `messages: ${n(s.messages)} imported, ${n(s.messagesKnown)} already there, ${n(s.messagesSkipped)} skipped (system messages, no author, empty)${s.messagesTruncated ? `, ${n(s.messagesTruncated)} cut to 8,000 characters` : ''}`,
    `threads: ${n(s.threads)}`,
    `reactions: ${n(s.reactions)}${s.reactionsSkipped ? ` (${n(s.reactionsSkipped)} skipped: not an emoji name)` : ''}`,
    `files: ${n(s.filesStored)} stored, ${n(s.filesSkipped)} skipped (not in the export: named in their message)`,
  ];
}

/** Runs the import of `file` and prints its summary. */
export async function runImport(ctx: CommandContext, blobs: BlobStore, logger: Logger, input: { source: ImportSourceName; file: string }): Promise<void> {
  const source: ImportSource = input.source === 'slack' ? new SlackSource(input.file) : new MattermostSource(input.file);
  const progress = progressPrinter(ctx.io.stderr);
  const started = Date.now();
  let summary: ImportSummary;
  try {
    summary = await new ImportService(ctx.db, ctx.repos, blobs, logger).run(source, (p) => progress.update(p));
  } catch (err) {
    progress.end();
    if (err instanceof ImportFormatError) throw new CliError(`the export is broken, nothing was imported: ${err.message}`);
    logger.error({ err }, 'import failed');
    // The database's own words, not the whole statement (thousands of parameters).
    const cause = (err as { cause?: unknown }).cause;
    const why = cause instanceof Error ? cause.message : (err as Error).message;
    throw new CliError(`import failed: ${why}; each conversation is imported whole or not at all: run the same import again to finish`);
  } finally {
    await source.close();
  }
  progress.end();
  const seconds = (Date.now() - started) / 1000;
  for (const line of summaryLines(summary)) ctx.io.stdout.write(`${line}\n`);
  ctx.io.stdout.write(`done in ${seconds.toFixed(1)} s (${Math.round(summary.messages / Math.max(seconds, 0.001)).toLocaleString('en')} messages/s)\n`);
}

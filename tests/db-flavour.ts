/**
 * Which test files run on which database (vitest.config.ts reads these lists). `npm test` runs
 * the suite twice: on embedded PGlite, then on PostgreSQL (TEST_DATABASE_URL set by
 * scripts/with-postgres.sh). A file whose result cannot depend on that choice runs once:
 *
 * - SAME_ON_BOTH: never opens a database of the run's kind: pure unit tests of src/ modules,
 *   and the two files that always use an in-memory PGlite of their own. Run on PGlite only.
 * - PGLITE_ONLY: every suite is `describe.runIf(dbKind === 'pglite')` (the browser tests, the
 *   embedded DATA_DIR's crash and backup tests): on PostgreSQL they only cost their imports.
 * - POSTGRES_ONLY: every suite is `describe.runIf` PostgreSQL: skipped on PGlite.
 *
 * Every other file, every one that starts an app or a server on the run's database, runs on
 * both. tests/unit/db-flavour.test.ts checks these lists against the files they name.
 */
export const SAME_ON_BOTH: readonly string[] = [
  'tests/unit/asyncapi.test.ts',
  'tests/unit/bidi.test.ts',
  'tests/unit/config.test.ts',
  'tests/unit/cluster-metrics.test.ts',
  'tests/unit/dir-lock.test.ts',
  'tests/unit/dnd.test.ts',
  'tests/unit/errors.test.ts',
  'tests/unit/export-page-sizer.test.ts',
  'tests/unit/ids.test.ts',
  'tests/unit/import-text.test.ts',
  'tests/unit/link-preview-parse.test.ts',
  'tests/unit/logger-files.test.ts',
  'tests/unit/markdown.test.ts',
  'tests/unit/markdown-emoji.test.ts',
  'tests/unit/memory-trim.test.ts',
  'tests/unit/start-pacing.test.ts',
  'tests/unit/migrations-compat.test.ts',
  'tests/unit/name-clash.test.ts',
  'tests/unit/oidc.test.ts',
  'tests/unit/passwords.test.ts',
  'tests/unit/pglite-prepare.test.ts',
  'tests/unit/slow-query-log.test.ts',
  'tests/unit/socket-pacer.test.ts',
  'tests/unit/database-quiet.test.ts',
  'tests/unit/push-config.test.ts',
  'tests/unit/queue-worker.test.ts',
  'tests/unit/search-query.test.ts',
  'tests/unit/server-text.test.ts',
  'tests/unit/sessions-config.test.ts',
  'tests/unit/slack-payload.test.ts',
  'tests/unit/store-queue-lanes.test.ts',
  'tests/unit/web-i18n.test.ts',
  'tests/unit/tracing-sdk.test.ts',
  'tests/unit/webhook-guard.test.ts',
  'tests/unit/web-threads-store.test.ts',
  'tests/unit/web-emoji-store.test.ts',
  'tests/unit/web-apply-event.test.ts',
  'tests/unit/web-outbox.test.ts',
  'tests/unit/web-theme-css.test.ts',
  'tests/unit/web-drafts-notify.test.ts',
  'tests/unit/web-message-rows.test.ts',
  'tests/unit/db-flavour.test.ts',
  'tests/client/realtime-unit.test.ts',
  'tests/api/security-secrets.test.ts',
  // These two open an in-memory PGlite themselves whatever the run's database is.
  'tests/api/security-headers.test.ts',
  'tests/web/web-client.test.ts',
];

export const PGLITE_ONLY: readonly string[] = [
  'tests/e2e/accessibility.test.ts',
  'tests/e2e/api-tokens.test.ts',
  'tests/e2e/composer.test.ts',
  'tests/e2e/custom-commands.test.ts',
  'tests/e2e/custom-emoji.test.ts',
  'tests/e2e/dialogs-phone-files.test.ts',
  'tests/e2e/discovery.test.ts',
  'tests/e2e/drafts-notify.test.ts',
  'tests/e2e/group-rules.test.ts',
  'tests/e2e/inbox-previews.test.ts',
  'tests/e2e/integrations.test.ts',
  'tests/e2e/keyboard-theme.test.ts',
  'tests/e2e/languages.test.ts',
  'tests/e2e/leave-and-block.test.ts',
  'tests/e2e/link-previews.test.ts',
  'tests/e2e/live-chat.test.ts',
  'tests/e2e/long-conversation.test.ts',
  'tests/e2e/markdown.test.ts',
  'tests/e2e/message-actions.test.ts',
  'tests/e2e/notifications.test.ts',
  'tests/e2e/oidc.test.ts',
  'tests/e2e/pwa.test.ts',
  'tests/e2e/reconnect.test.ts',
  'tests/e2e/sessions.test.ts',
  'tests/e2e/signup-invite.test.ts',
  'tests/e2e/status-dnd.test.ts',
  'tests/e2e/system-lines.test.ts',
  'tests/e2e/threads.test.ts',
  'tests/e2e/unread-landing.test.ts',
  'tests/e2e/your-data.test.ts',
  'tests/process/backup-restore.test.ts',
  'tests/process/compiled-build.test.ts',
  'tests/process/datadir-kill.test.ts',
  'tests/process/s3-compiled.test.ts',
  'tests/api/s3-store.test.ts',
  'tests/unit/pglite-analyze.test.ts',
];

export const POSTGRES_ONLY: readonly string[] = ['tests/cluster/cluster-process.test.ts', 'tests/cluster/metrics-workers.test.ts', 'tests/process/db-outage.test.ts', 'tests/unit/postgres-prepare.test.ts'];

/**
 * Files that replace a module (vi.mock) and so need a module graph of their own; every other file
 * shares its worker's modules with the files run before it (vitest.config.ts).
 */
export const ISOLATED: readonly string[] = ['tests/api/security-secrets.test.ts'];

/** The files to leave out of this run: on PostgreSQL when `postgres`, else on PGlite. */
export function excludedOn(postgres: boolean): string[] {
  return postgres ? [...SAME_ON_BOTH, ...PGLITE_ONLY] : [...POSTGRES_ONLY];
}

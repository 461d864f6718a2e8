#!/usr/bin/env bash
# The full test suite (`npm test`). Extra arguments go to vitest, e.g.
#   npm test -- tests/auth.test.ts
# Phases: dependencies, typecheck, lint, build, then vitest on embedded PGlite and on a throwaway
# PostgreSQL cluster (one run, a project per database). Stops at the first failing phase.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PHASE="start"
header() {
  PHASE="$1"
  printf '\n==================== %s ====================\n' "$1"
}
trap 'rc=$?; if [ "$rc" -ne 0 ]; then printf "\n*** npm test FAILED in phase: %s (exit %s)\n" "$PHASE" "$rc" >&2; else printf "\n*** npm test: all phases passed\n"; fi' EXIT

header "dependencies (scripts/ensure-deps.sh)"
bash scripts/ensure-deps.sh

header "typecheck (npm run typecheck)"
npm run typecheck

header "lint (npm run lint)"
npm run lint

header "build (npm run build)"
# Once, before the tests: the compiled server, the web client and the empty embedded database.
# Servers started by the tests (scripts/start.mjs, as npm start) then find them fresh.
npm run build

header "tests on embedded PGlite and on PostgreSQL (scripts/with-postgres.sh vitest run)"
# One vitest run with a project per database (vitest.config.ts): the files that wait on browsers
# and servers overlap with the ones that keep the CPU busy.
TEST_BOTH_DATABASES=1 bash scripts/with-postgres.sh npx vitest run "$@"

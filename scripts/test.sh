#!/usr/bin/env bash
# The full test suite (`npm test`). Extra arguments go to vitest, e.g.
#   npm test -- tests/auth.test.ts
# Phases: dependencies, typecheck and lint (scripts/check.ts) beside the build, then vitest on
# embedded PGlite and on a throwaway PostgreSQL cluster (one run, a project per database). Stops
# at the first failing phase.
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

# The checks and the build do not depend on each other: they run at once, each into its own log,
# printed in order once both have finished. `npm run check` is `npm run typecheck` and `npm run
# lint` on one pair of TypeScript programs (69 s of CPU against 45 + 76 run apart).
header "typecheck and lint (npm run check), and the build (npm run build)"
# The build makes the compiled server, the web client and the empty embedded database once,
# before the tests; servers started by the tests (scripts/start.mjs, as npm start) find them fresh.
LOGS="$(mktemp -d)"
declare -A PIDS=()
for step in check build; do
  npm run -s "$step" >"$LOGS/$step.log" 2>&1 &
  PIDS[$step]=$!
done
FAILED=""
for step in check build; do
  if wait "${PIDS[$step]}"; then status=passed; else status=FAILED; FAILED="$FAILED $step"; fi
  printf '\n---- npm run %s: %s ----\n' "$step" "$status"
  cat "$LOGS/$step.log"
done
rm -rf "$LOGS"
if [ -n "$FAILED" ]; then PHASE="$FAILED"; exit 1; fi

header "tests on embedded PGlite and on PostgreSQL (scripts/with-postgres.sh vitest run)"
# The throwaway PostgreSQL clusters in memory (/dev/shm) when it is a tmpfs with room: on ext4 the
# inode allocator's scan for free inodes (find_inode_bit, recently_deleted) took 25 s of the
# server's CPU in a run (perf record -a of the whole suite, 2026-12-06), for the files of the
# hundreds of databases the tests create from a template and drop. fsync is off there anyway.
if [ -z "${PG_PARENT_DIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] \
  && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -ge $((4 * 1024 * 1024)) ]; then
  export PG_PARENT_DIR=/dev/shm
fi
# One vitest run with a project per database (vitest.config.ts): the files that wait on browsers
# and servers overlap with the ones that keep the CPU busy.
TEST_BOTH_DATABASES=1 bash scripts/with-postgres.sh npx vitest run "$@"

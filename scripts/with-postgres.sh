#!/usr/bin/env bash
# Usage: scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a throwaway PostgreSQL cluster in a temporary folder, runs CMD with
# TEST_DATABASE_URL=postgres://postgres@127.0.0.1:PORT/postgres exported, then
# stops the cluster and deletes the folder (also when CMD fails or on
# Ctrl-C / SIGTERM). Exits with CMD's exit code.
#
# Uses the newest /usr/lib/postgresql/*/bin. PostgreSQL refuses to run as
# root, so as root the cluster is owned by and run as the `postgres` user.
# Needs no stdin and no TTY.
#
# PG_PARENT_DIR: the folder the cluster's folder is made in (default /tmp, or $TMPDIR when not
# root). scripts/test.sh gives it a memory file system when the machine has one with room.
set -euo pipefail

log() { printf 'with-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$#" -gt 0 ] || die "usage: $0 CMD [ARGS...]"

# --- find the binaries (highest major version) -------------------------------
PG_BIN=""
while IFS= read -r d; do
  [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && PG_BIN="$d"
done < <(compgen -G '/usr/lib/postgresql/*/bin' | sort -V)
[ -n "$PG_BIN" ] || die "no PostgreSQL server found under /usr/lib/postgresql/*/bin (install the 'postgresql' package, or run scripts/ensure-deps.sh)"

command -v node >/dev/null || die "node is needed to pick a free port"

# --- run as postgres when we are root -----------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server as"
  command -v runuser >/dev/null || die "running as root but 'runuser' is missing"
  # /tmp, not $TMPDIR: the postgres user must be able to reach the folder.
  PG_DIR="$(mktemp -d "${PG_PARENT_DIR:-/tmp}/parley-pg.XXXXXX")"
  chown postgres: "$PG_DIR"
  as_pg() { (cd "$PG_DIR" && runuser -u postgres -- "$@"); }
else
  PG_DIR="$(mktemp -d "${PG_PARENT_DIR:-${TMPDIR:-/tmp}}/parley-pg.XXXXXX")"
  as_pg() { (cd "$PG_DIR" && "$@"); }
fi
DATA="$PG_DIR/data"
LOGFILE="$PG_DIR/postgres.log"

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  set +e
  if [ -f "$DATA/postmaster.pid" ]; then
    if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t 20 stop >/dev/null 2>&1; then
      # Last resort: kill the postmaster directly.
      pid="$(head -n1 "$DATA/postmaster.pid" 2>/dev/null)"
      [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
      sleep 0.5
    fi
  fi
  rm -rf "$PG_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- initdb ---------------------------------------------------------------------
LOCALE=C
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then LOCALE=C.UTF-8; fi
run_initdb() {
  as_pg "$PG_BIN/initdb" -D "$DATA" -A trust -U postgres -E UTF8 --locale="$1" >"$PG_DIR/initdb.log" 2>&1
}
if ! run_initdb "$LOCALE"; then
  if [ "$LOCALE" = C ]; then tail -n 30 "$PG_DIR/initdb.log" >&2; die "initdb failed"; fi
  log "initdb with --locale=$LOCALE failed; retrying with --locale=C"
  rm -rf "$DATA"
  run_initdb C || { tail -n 30 "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
fi

# --- start on a free loopback port (retry in case the port got taken) ------------
free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close();});'
}

PORT=""
for attempt in 1 2 3; do
  PORT="$(free_port)"
  if as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 \
      -o "-k $PG_DIR -c listen_addresses=127.0.0.1 -p $PORT -c fsync=off -c max_connections=200" \
      start >/dev/null 2>&1; then
    break
  fi
  if [ "$attempt" -lt 3 ] && grep -qi 'could not bind\|address already in use' "$LOGFILE" 2>/dev/null; then
    log "port $PORT was taken; retrying"
    PORT=""
    continue
  fi
  log "PostgreSQL failed to start; last lines of its log:"
  tail -n 30 "$LOGFILE" >&2 2>/dev/null || true
  exit 1
done
[ -n "$PORT" ] || die "could not find a free port for PostgreSQL"

# PG_CPUS=0 (benchmarks): the postmaster and every backend it forks from now on run on those CPUs.
if [ -n "${PG_CPUS:-}" ] && command -v taskset >/dev/null; then
  taskset -a -cp "$PG_CPUS" "$(head -n1 "$DATA/postmaster.pid")" >/dev/null
  log "PostgreSQL pinned to CPU $PG_CPUS"
fi

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
# For tests that control a cluster (tests/helpers/postgres-control.ts): the binaries, and this
# cluster's data folder, port and owner. Stopping this cluster fails the other test files that
# run at the same time: such tests start a cluster of their own with the same binaries.
export PARLEY_PG_BIN="$PG_BIN" PARLEY_PG_DATA="$DATA" PARLEY_PG_PORT="$PORT"
export PARLEY_PG_USER="$([ "$(id -u)" -eq 0 ] && echo postgres || id -un)"
log "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') ready at $TEST_DATABASE_URL"

# --- run the command --------------------------------------------------------------
# Foreground, so Ctrl-C reaches CMD too; the traps above clean up afterwards.
set +e
"$@"
rc=$?
set -e
exit "$rc"

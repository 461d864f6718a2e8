#!/usr/bin/env bash
# Runs a throwaway redis-server in the foreground on a loopback port, for tests and local trials:
#   scripts/redis-server.sh [PORT] [DIR]
# PORT defaults to a free one (printed as "redis-server.sh: port N" on stderr); DIR (default: a
# fresh temporary folder) holds nothing: persistence is off, so a restart starts empty, as a
# crashed cache would. The script execs redis-server: killing it kills the server.
set -euo pipefail

BIN="$(command -v redis-server || true)"
if [ -z "$BIN" ]; then
  echo "redis-server.sh: redis-server is not installed (apt-get install -y redis-server, or run scripts/ensure-deps.sh)" >&2
  exit 1
fi

PORT="${1:-}"
if [ -z "$PORT" ]; then
  PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
fi
DIR="${2:-$(mktemp -d -t parley-redis.XXXXXX)}"
mkdir -p "$DIR"
echo "redis-server.sh: port $PORT" >&2

exec "$BIN" --port "$PORT" --bind 127.0.0.1 --dir "$DIR" \
  --save '' --appendonly no --daemonize no --protected-mode yes \
  --loglevel warning --logfile ''

#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, when they are missing.
# Quiet (and touches nothing) when everything is present.
#
# To add a dependency, add a line to DEPS: "<package>|<check>", where <check>
# is a shell command that succeeds when the package is already usable, e.g.
#   "redis-server|command -v redis-server"
#   "chromium|test -x /usr/bin/chromium"
set -euo pipefail

DEPS=(
  "postgresql|compgen -G '/usr/lib/postgresql/*/bin/initdb'"
  "redis-server|command -v redis-server"
  "nginx|test -x /usr/sbin/nginx"
  "chromium|test -x /usr/bin/chromium"
  # The browser tests run in Chromium's headless shell, and in the desktop Chromium where they need it.
  "chromium-headless-shell|test -x /usr/bin/chromium-headless-shell"
  # Fonts for Chinese text and emoji in the browser tests' screenshots.
  "fonts-wqy-zenhei|test -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
  "fonts-noto-color-emoji|test -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"
)

missing=()
for entry in "${DEPS[@]}"; do
  pkg="${entry%%|*}"
  check="${entry#*|}"
  if ! eval "$check" >/dev/null 2>&1; then
    missing+=("$pkg")
  fi
done

[ "${#missing[@]}" -eq 0 ] && exit 0

echo "ensure-deps: installing missing packages: ${missing[*]}" >&2

fail() {
  echo "ensure-deps: error: $1" >&2
  echo "ensure-deps: please install these Debian packages: ${missing[*]}" >&2
  echo "ensure-deps:   apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
}

command -v apt-get >/dev/null 2>&1 || fail "apt-get is not available on this machine"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || fail "not running as root and sudo is not available"
  if [ -t 0 ]; then SUDO=(sudo); else SUDO=(sudo -n); fi  # no stdin/TTY: never prompt
fi

"${SUDO[@]}" apt-get update || fail "apt-get update failed"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}" || fail "apt-get install failed"

# Re-check, so a package that installed but is still unusable is reported here.
for entry in "${DEPS[@]}"; do
  pkg="${entry%%|*}"
  check="${entry#*|}"
  eval "$check" >/dev/null 2>&1 || fail "$pkg was installed but its check still fails: $check"
done
echo "ensure-deps: done" >&2

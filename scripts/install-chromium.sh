#!/usr/bin/env bash
# Debian's Chromium for the console's browser tests (test/console-browser.test.ts),
# driven by playwright-core: no browser is downloaded at run time.
#
#   scripts/install-chromium.sh   apt-get install chromium when /usr/bin/chromium is missing (root or sudo)
#
# CHROMIUM_PATH names another binary; the tests use the same variable.
set -euo pipefail

BIN="${CHROMIUM_PATH:-/usr/bin/chromium}"
log () { echo "install-chromium: $*" >&2; }
die () { log "error: $*"; exit 1; }

if [[ -x "$BIN" ]]; then
  log "found $BIN ($("$BIN" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
[[ "$BIN" == /usr/bin/chromium ]] || die "CHROMIUM_PATH=$BIN is not an executable"
log "$BIN not found: installing Debian's chromium package"
command -v apt-get >/dev/null 2>&1 || die "no apt-get: install Chromium by hand or set CHROMIUM_PATH"
sudo=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot apt-get install chromium"
  sudo=(sudo -n)
fi
"${sudo[@]}" apt-get update </dev/null >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium </dev/null >&2
[[ -x "$BIN" ]] || die "apt-get installed chromium but $BIN is missing"
log "installed: $("$BIN" --version 2>/dev/null || echo "$BIN")"

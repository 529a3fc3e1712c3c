#!/usr/bin/env bash
# Installs what the reads phase of `make bench` (tests/bench/reads.py) needs, only when it is missing:
# - wrk, the HTTP load generator (Debian package, like scripts/browser-deps.sh installs chromium);
# - snac2, the C server Agora's read rates are compared with, unpacked into interop-work/snac2 with the
#   same private apt steps as the interop lane (tests/interop/snac.sh, sourced by both): either one reuses
#   what the other installed.
# Idempotent. Environment: INTEROP_WORK (default <repo>/interop-work), INTEROP_SUITE (default
# <codename>-backports).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${INTEROP_WORK:-$ROOT/interop-work}"
if [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3)"; fi

log() { printf '[bench-deps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if ! command -v wrk >/dev/null; then
  log "installing Debian wrk"
  if [[ "$(id -u)" == 0 ]]; then sudo=(); else sudo=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  if ! "${sudo[@]}" apt-get install -y --no-install-recommends wrk >/dev/null; then
    "${sudo[@]}" apt-get update >/dev/null  # stale or absent package lists on a fresh machine
    "${sudo[@]}" apt-get install -y --no-install-recommends wrk >/dev/null
  fi
fi
[[ "$(wrk --version 2>&1 || true)" == wrk\ * ]] || die "wrk does not run"

# The snac2 steps are the interop lane's own (tests/interop/snac.sh).
# shellcheck source=tests/interop/snac.sh
source "$ROOT/tests/interop/snac.sh"
if snac_works; then
  exit 0
fi
install_snac

#!/bin/sh
# Installs what the browser tests (tests/browser) need, only when it is missing:
# Debian's Chromium (/usr/bin/chromium) and axe-core from npm (tests/browser/node_modules).
# Idempotent; `make test` runs it through `make browser-deps`.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)

if [ ! -x /usr/bin/chromium ]; then
    echo "browser-deps: installing Debian chromium" >&2
    if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    if ! $sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null; then
        # The package lists may be stale or absent on a fresh machine: refresh them once.
        $sudo apt-get update >/dev/null
        $sudo apt-get install -y --no-install-recommends chromium fonts-dejavu-core >/dev/null
    fi
fi
# (Debian's launcher prints a harmless shell warning from /etc/chromium.d/dev-shm on some machines.)
if ! version=$(/usr/bin/chromium --version 2>&1); then
    echo "browser-deps: /usr/bin/chromium does not start:" >&2
    echo "$version" >&2
    exit 1
fi

if [ ! -f "$here/tests/browser/node_modules/axe-core/axe.min.js" ]; then
    echo "browser-deps: installing axe-core (npm ci)" >&2
    (cd "$here/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi

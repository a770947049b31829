#!/usr/bin/env bash
# Creates the Python virtual environment that runs a real Arize Phoenix server for the
# trace-store connector tests (src-tauri/crates/tracestore/tests). Idempotent: when the venv
# already holds the pinned version it returns in well under a second.
#
#   scripts/venv-phoenix.sh            # creates ${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}/phoenix
#   COUNTERSIGN_VENV_DIR=/x scripts/venv-phoenix.sh
#
# The venv is ~850 MB; a cold install takes a few minutes (PyPI only, no other downloads).
# Phoenix runs offline with PHOENIX_TELEMETRY_ENABLED=false (the tests set it).
set -euo pipefail

PHOENIX_VERSION="20.26.1"
dir="${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}/phoenix"
stamp="$dir/.countersign-arize-phoenix-$PHOENIX_VERSION"

if [ -x "$dir/bin/python" ] && [ -e "$stamp" ]; then
  exit 0
fi

python="${COUNTERSIGN_PYTHON:-python3}"
if ! "$python" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  # Debian ships venv/ensurepip separately.
  if command -v apt-get >/dev/null; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "venv-phoenix: installing python3-venv"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
    python=python3
  fi
fi

start=$(date +%s)
echo "venv-phoenix: creating $dir (arize-phoenix==$PHOENIX_VERSION, ~850 MB)"
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
"$python" -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check "arize-phoenix==$PHOENIX_VERSION"
"$dir/bin/python" -c 'import phoenix.server.main' >/dev/null
touch "$stamp"
echo "venv-phoenix: ready in $(($(date +%s) - start)) s ($(du -sh "$dir" | cut -f1))"

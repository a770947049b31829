#!/usr/bin/env bash
# Tests the agent client library (clients/python) against the real server: builds the venv
# (scripts/venv-agents.sh), installs the client into it, type-checks it (mypy --strict) and
# runs its pytest suite, which starts `countersign backend serve` and runs the examples.
#
#   scripts/test-python-client.sh [pytest args]
#
# The CLI binary is $COUNTERSIGN_BIN, else ${CARGO_TARGET_DIR:-target}/debug/countersign
# (built here when missing).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}/agents"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
export COUNTERSIGN_BIN="${COUNTERSIGN_BIN:-$TARGET/debug/countersign}"

scripts/venv-agents.sh
if [ ! -x "$COUNTERSIGN_BIN" ]; then
  echo "test-python-client: building the CLI ($COUNTERSIGN_BIN)"
  cargo build -p countersign-cli
fi

# A plain (not editable) install from the source tree, offline: what `pip install
# clients/python` gives a user, py.typed included.
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --no-deps --no-build-isolation --force-reinstall "$ROOT/clients/python"
rm -rf "$ROOT/clients/python/build" "$ROOT/clients/python/src/countersign.egg-info"
"$VENV/bin/python" -c 'import countersign, pathlib, sys; p = pathlib.Path(countersign.__file__).parent; sys.exit(0 if (p / "py.typed").exists() and "site-packages" in str(p) else "countersign is not installed with py.typed")'

cd "$ROOT/clients/python"
echo "test-python-client: mypy --strict"
"$VENV/bin/mypy" --strict --cache-dir "${TMPDIR:-/tmp}/countersign-mypy-cache" src tests examples
echo "test-python-client: pytest (server: $COUNTERSIGN_BIN)"
"$VENV/bin/python" -m pytest -p no:cacheprovider -q "$@"

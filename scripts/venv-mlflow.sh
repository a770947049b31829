#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment that runs a real MLflow tracking server
# (`mlflow server` on SQLite) and MLflow's own tracing SDK for the MLflow trace-store tests
# (src-tauri/crates/tracestore/tests/mlflow.rs).
#
#   scripts/venv-mlflow.sh          # creates or checks ${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}/mlflow
#
# The version is pinned here and every transitive dependency by
# src-tauri/crates/tracestore/tests/support/mlflow-constraints.txt. A venv whose stamp matches
# both is reused in well under a second; otherwise it is rebuilt from PyPI (~1.5 min, ~850 MB).
# The tests run it offline with MLFLOW_DISABLE_TELEMETRY=true.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_ROOT="${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}"
VENV="$VENV_ROOT/mlflow"
CONSTRAINTS="$ROOT/src-tauri/crates/tracestore/tests/support/mlflow-constraints.txt"
REQUIREMENTS=("mlflow==3.17.2")

PYTHON="$("$(dirname "${BASH_SOURCE[0]}")/find-python.sh")" || { echo "venv-mlflow: see above" >&2; exit 1; }

stamp="$(printf '%s\n' "${REQUIREMENTS[@]}" | cat - "$CONSTRAINTS" | sha256sum | cut -c1-16)"
if [ -x "$VENV/bin/mlflow" ] && [ "$(cat "$VENV/.countersign-stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

echo "venv-mlflow: building $VENV (pinned ${REQUIREMENTS[*]})"
start=$SECONDS
rm -rf "$VENV"
mkdir -p "$VENV_ROOT"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -c "$CONSTRAINTS" "${REQUIREMENTS[@]}"
MLFLOW_DISABLE_TELEMETRY=true "$VENV/bin/python" -c 'import mlflow, mlflow.server' >/dev/null
echo "$stamp" >"$VENV/.countersign-stamp"
echo "venv-mlflow: ready in $((SECONDS - start)) s ($(du -sh "$VENV" | cut -f1))"

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
# The tests run it offline with MLFLOW_DISABLE_TELEMETRY=true. The venv also holds an empty,
# fully migrated MLflow SQLite store (countersign-empty-store.db) that the tests copy for each
# server they start, so a server skips MLflow's ~100 schema migrations at start-up.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_ROOT="${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}"
VENV="$VENV_ROOT/mlflow"
CONSTRAINTS="$ROOT/src-tauri/crates/tracestore/tests/support/mlflow-constraints.txt"
REQUIREMENTS=("mlflow==3.17.2")

PYTHON="$("$(dirname "${BASH_SOURCE[0]}")/find-python.sh")" || { echo "venv-mlflow: see above" >&2; exit 1; }

stamp="$(printf '%s\n' "${REQUIREMENTS[@]}" | cat - "$CONSTRAINTS" | sha256sum | cut -c1-16)"
template="$VENV/countersign-empty-store.db"
if [ -x "$VENV/bin/mlflow" ] && [ "$(cat "$VENV/.countersign-stamp" 2>/dev/null)" = "$stamp" ]; then
  [ -e "$template" ] && exit 0
else
  echo "venv-mlflow: building $VENV (pinned ${REQUIREMENTS[*]})"
  start=$SECONDS
  rm -rf "$VENV"
  mkdir -p "$VENV_ROOT"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    -c "$CONSTRAINTS" "${REQUIREMENTS[@]}"
  echo "$stamp" >"$VENV/.countersign-stamp"
  echo "venv-mlflow: ready in $((SECONDS - start)) s ($(du -sh "$VENV" | cut -f1))"
fi

# An empty MLflow store, migrated to this version's schema (written aside, then moved).
rm -f "$template.tmp"
MLFLOW_DISABLE_TELEMETRY=true "$VENV/bin/python" -c '
import sys
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
SqlAlchemyStore("sqlite:///" + sys.argv[1], sys.argv[2])
' "$template.tmp" "$VENV/unused-artifacts" 2>/dev/null
mv "$template.tmp" "$template"

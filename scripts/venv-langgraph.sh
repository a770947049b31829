#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment that runs a real LangGraph Server
# (`langgraph dev`) for the LangGraph connector's tests (src-tauri/crates/langgraph/tests).
#
#   scripts/venv-langgraph.sh          # creates or checks ${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}/langgraph
#
# Versions are pinned here and every transitive dependency by
# src-tauri/crates/langgraph/fixtures/graph/constraints.txt. A venv whose stamp matches both is
# reused in well under a second; otherwise it is rebuilt from PyPI (about a minute).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_ROOT="${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}"
VENV="$VENV_ROOT/langgraph"
CONSTRAINTS="$ROOT/src-tauri/crates/langgraph/fixtures/graph/constraints.txt"
REQUIREMENTS=("langgraph-cli[inmem]==0.4.40" "langgraph==1.2.24" "langchain==1.5.2")

PYTHON="$("$(dirname "${BASH_SOURCE[0]}")/find-python.sh")" || { echo "venv-langgraph: see above" >&2; exit 1; }

stamp="$(printf '%s\n' "${REQUIREMENTS[@]}" | cat - "$CONSTRAINTS" | sha256sum | cut -c1-16)"
if [ -x "$VENV/bin/langgraph" ] && [ "$(cat "$VENV/.countersign-stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

echo "venv-langgraph: building $VENV (pinned ${REQUIREMENTS[*]})"
start=$SECONDS
rm -rf "$VENV"
mkdir -p "$VENV_ROOT"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -c "$CONSTRAINTS" "${REQUIREMENTS[@]}"
"$VENV/bin/langgraph" --version >/dev/null
echo "$stamp" >"$VENV/.countersign-stamp"
echo "venv-langgraph: ready in $((SECONDS - start)) s ($(du -sh "$VENV" | cut -f1))"

#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment of the agent client library's tests
# (clients/python): the real pydantic-ai and OpenAI Agents SDK the adapters are tested with,
# pytest, mypy and setuptools (to install the client offline). The client itself has no dependencies; scripts/test-python-client.sh
# installs it into this venv.
#
#   scripts/venv-agents.sh          # creates or checks ${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}/agents
#
# Direct dependencies are pinned here and every transitive one by clients/python/constraints.txt.
# A venv whose stamp matches both is reused in well under a second; otherwise it is rebuilt
# from PyPI (about a minute).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV_ROOT="${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}"
VENV="$VENV_ROOT/agents"
CONSTRAINTS="$ROOT/clients/python/constraints.txt"
REQUIREMENTS=(
  "pydantic-ai-slim==2.68.0"
  "openai-agents==0.24.0"
  "pytest==9.2.0"
  "mypy==2.4.1"
  "setuptools==84.2.1"
)

PYTHON="$("$(dirname "${BASH_SOURCE[0]}")/find-python.sh")" || { echo "venv-agents: see above" >&2; exit 1; }

stamp="$(printf '%s\n' "${REQUIREMENTS[@]}" | cat - "$CONSTRAINTS" | sha256sum | cut -c1-16)"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.countersign-stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

echo "venv-agents: building $VENV (pinned ${REQUIREMENTS[*]})"
start=$SECONDS
rm -rf "$VENV"
mkdir -p "$VENV_ROOT"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -c "$CONSTRAINTS" "${REQUIREMENTS[@]}"
"$VENV/bin/python" -c 'import pydantic_ai, agents, pytest, mypy'
echo "$stamp" >"$VENV/.countersign-stamp"
echo "venv-agents: ready in $((SECONDS - start)) s ($(du -sh "$VENV" | cut -f1))"

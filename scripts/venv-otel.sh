#!/usr/bin/env bash
# Creates (idempotently) the Python virtual environment whose real OpenTelemetry exporters
# (OTLP/HTTP protobuf and OTLP/HTTP JSON) and pydantic-ai agent post traces to the OTLP receiver
# in its tests (src-tauri/crates/receiver/tests, tests/e2e/imports.test.mjs).
#
#   scripts/venv-otel.sh          # creates or checks ${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}/otel
#
# Direct dependencies are pinned below (the JSON exporter 0.66b1 pairs with the 1.45.1 SDK and
# protobuf exporter). A venv whose stamp matches them is reused in well under
# a second; otherwise it is rebuilt from PyPI (about a minute).
set -euo pipefail

VENV_ROOT="${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs}"
VENV="$VENV_ROOT/otel"
REQUIREMENTS=(
  "pydantic-ai-slim==2.68.0"
  "opentelemetry-api==1.45.1"
  "opentelemetry-sdk==1.45.1"
  "opentelemetry-exporter-otlp-proto-http==1.45.1"
  "opentelemetry-exporter-otlp-json-http==0.66b1"
)

PYTHON="$("$(dirname "${BASH_SOURCE[0]}")/find-python.sh")" || { echo "venv-otel: see above" >&2; exit 1; }

stamp="$(printf '%s\n' "${REQUIREMENTS[@]}" | sha256sum | cut -c1-16)"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.countersign-stamp" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi

echo "venv-otel: building $VENV (pinned ${REQUIREMENTS[*]})"
start=$SECONDS
rm -rf "$VENV"
mkdir -p "$VENV_ROOT"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${REQUIREMENTS[@]}"
"$VENV/bin/python" -c 'import pydantic_ai, opentelemetry.exporter.otlp.proto.http.trace_exporter, opentelemetry.exporter.otlp.json.http.trace_exporter' 
echo "$stamp" >"$VENV/.countersign-stamp"
echo "venv-otel: ready in $((SECONDS - start)) s ($(du -sh "$VENV" | cut -f1))"

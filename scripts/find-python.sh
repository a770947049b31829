#!/usr/bin/env bash
# Prints the Python (>= 3.10, with venv) the venv-*.sh scripts build from: $COUNTERSIGN_PYTHON
# when set, else the first of python3.12, python3.11, python3 that works. Exits 1 if none does.
set -euo pipefail
if [ -n "${COUNTERSIGN_PYTHON:-}" ]; then
  echo "$COUNTERSIGN_PYTHON"
  exit 0
fi
for p in python3.12 python3.11 python3; do
  # pyenv shims exist for versions that are not selected: ask the interpreter itself.
  if "$p" -c 'import sys, venv; assert sys.version_info >= (3, 10)' >/dev/null 2>&1; then
    echo "$p"
    exit 0
  fi
done
echo "no python3 >= 3.10 with venv found (apt-get install python3 python3-venv)" >&2
exit 1

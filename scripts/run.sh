#!/usr/bin/env bash
# Builds and starts the Countersign desktop app on the embedded reference backend (seeded
# runs, pending approvals, budgets). Data lives in the platform app-data directory
# (~/.local/share/dev.countersign.console); set COUNTERSIGN_STORE to use another store file.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
(cd ui && npm run build --silent)
cargo build -p countersign-app --features custom-protocol,demo
bin="${CARGO_TARGET_DIR:-target}/debug/countersign-app"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display; starting the app under Xvfb (xvfb-run)" >&2
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$bin" "$@"
fi
exec "$bin" "$@"

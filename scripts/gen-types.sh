#!/usr/bin/env bash
# Regenerates the UI's wire types and rule data (ui/src/api/generated/) from the Rust types.
# scripts/test.sh fails (cargo test: bindings::tests::generated_ui_types_are_current) when the
# committed files are stale.
set -euo pipefail
cd "$(dirname "$0")/.."
UPDATE_BINDINGS=1 cargo test -p countersign-app --quiet bindings::tests::generated_ui_types_are_current
echo "gen-types: wrote ui/src/api/generated ($(ls ui/src/api/generated | wc -l) files)"

#!/usr/bin/env bash
# Runs every Countersign check: formatting, lints, Rust unit + integration tests (real SQLite,
# real reference backend over HTTP on 127.0.0.1), UI unit tests, the Python agent client's tests
# (against the CLI's server), and the end-to-end suite
# (the real app in a real WebView under Xvfb, through tauri-driver + WebKitWebDriver).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
step() { printf '\n==> %s\n' "$*"; }

step "Python venvs for the real third-party servers the connector tests run (cached in ${COUNTERSIGN_VENV_DIR:-/var/tmp/countersign-venvs})"
scripts/venv-langgraph.sh
scripts/venv-phoenix.sh
scripts/venv-mlflow.sh
scripts/venv-otel.sh
scripts/venv-agents.sh

step "UI: typecheck + build (ui/dist is embedded by the app build)"
(cd ui && npm run build --silent)
step "cargo fmt --check"
cargo fmt --all --check
step "cargo clippy"
cargo clippy --workspace --all-targets --all-features -- -D warnings
step "cargo test"
cargo test --workspace
step "UI unit tests"
(cd ui && npm test --silent)
step "build the app and CLI for end-to-end tests"
cargo build -p countersign-app --features custom-protocol,demo
cargo build -p countersign-cli
step "Python agent client (clients/python): mypy --strict, pytest against the CLI's server, examples"
scripts/test-python-client.sh
step "end-to-end (real app, WebDriver, Xvfb)"
node --test --test-concurrency=1 tests/e2e/

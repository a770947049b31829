#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build, run and test Countersign:
# WebKitGTK 4.1 and friends (apt), WebKitWebDriver, Xvfb, PostgreSQL's server binaries (the
# backend's tests start throwaway clusters of their own; the system service is not used),
# tauri-driver (crates.io), and the UI's npm packages. Each step is skipped when already present, so reruns take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
pkg-config --exists webkit2gtk-4.1 2>/dev/null || need+=(libwebkit2gtk-4.1-dev build-essential pkg-config libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
pkg-config --exists dbus-1 2>/dev/null || need+=(libdbus-1-dev)
command -v WebKitWebDriver >/dev/null || need+=(webkit2gtk-driver)
command -v Xvfb >/dev/null || need+=(xvfb xauth)
command -v import >/dev/null || need+=(imagemagick)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
# The connector tests run real LangGraph / Phoenix / MLflow / OTel exporters from Python venvs.
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3 python3-venv)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "setup: installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --quiet

if [ ! -d ui/node_modules ] || [ ui/package.json -nt ui/node_modules/.package-lock.json ]; then
  (cd ui && npm install --no-audit --no-fund --loglevel=error)
fi

#!/usr/bin/env bash
# Installs what mock-okta needs on a fresh Debian machine: system OpenSSL 3 and SQLite headers,
# (with --python) a venv with the real client libraries the end-to-end tests drive, and (with --browser)
# Debian's chromium and chromium-driver for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
pkgs=(libssl-dev libsqlite3-dev)
if [[ " $* " == *" --browser "* ]]; then pkgs+=(chromium chromium-driver); fi
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
if [ "${#need[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
if [[ " $* " == *" --python "* ]]; then
  if [ ! -x .venv-e2e/bin/python ]; then python3 -m venv .venv-e2e; fi
  .venv-e2e/bin/pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
fi

#!/usr/bin/env bash
# Run the whole test suite: lint, unit, measurement, site and browser tests,
# then build the guide in a separate environment without torch.
# Installs everything it needs: the CPU build of torch, the [measure,dev] extras
# and Debian's chromium for the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# torch first and pinned: an open range would pull a multi-GB CUDA build
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".[measure,dev]"

# CJK fonts so screenshots of the Chinese pages show text, not boxes
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-wqy-zenhei >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/pytest "$@"

# The site must build without torch: a fresh base-only environment proves it.
bash scripts/build-guide.sh --site-dir "${SITE_DIR:-site}" >/dev/null
if .venv-site/bin/python -c "import torch" 2>/dev/null; then
  echo "torch is importable in the site environment: the site must not depend on it" >&2
  exit 1
fi
echo "site built without torch"

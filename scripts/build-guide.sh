#!/usr/bin/env bash
# Build the guide from the shipped data into site/.
# Installs the base package only (no torch: the site never needs it) into .venv-site.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv-site
.venv-site/bin/python -m pip install --quiet --upgrade pip
.venv-site/bin/python -m pip install --quiet -e .

.venv-site/bin/guide-builder validate measurements
# strict without -q: quiet mode would hide the warnings strict is meant to count
.venv-site/bin/mkdocs build --strict --site-dir site "$@"
echo "The guide is in site/ (open site/index.html, or serve it: python3 -m http.server -d site)."

#!/usr/bin/env bash
# Set up .venv (if needed) and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
.venv/bin/python -m ruff check bot tests bench
.venv/bin/python -m pytest -q "$@"

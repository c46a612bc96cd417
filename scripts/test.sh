#!/usr/bin/env bash
# Lint and run every test. Installs (with the dev tools) only when .venv is missing/broken or
# pyproject.toml changed: a fresh clone (CI) installs, a second run needs no package index.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
. scripts/chromium.sh
ensure_venv "[dev]"
ensure_chromium
.venv/bin/python -m ruff check bot tests bench
# PYTEST_WORKERS=0 runs in one process (e.g. under a debugger).
# --dist loadgroup: tests marked with one xdist_group (the load tests) share a worker.
.venv/bin/python -m pytest -q -n "${PYTEST_WORKERS:-4}" --dist loadgroup "$@"

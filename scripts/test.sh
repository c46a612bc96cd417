#!/usr/bin/env bash
# Lint and run every test. Installs (with the dev tools) only when .venv is missing/broken or
# pyproject.toml changed: a fresh clone (CI) installs, a second run needs no package index.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv "[dev]"
.venv/bin/python -m ruff check bot tests bench
# Tests run in parallel (pytest-xdist): they mostly wait on loopback I/O, so more workers than
# the 2 cores of the reference machine pay. `--dist loadgroup` keeps tests marked with the same
# xdist_group (the load tests) on one worker. TEST_WORKERS=0 runs serially; arguments after
# ours win (e.g. `./scripts/test.sh -n 0 tests/test_x.py`).
.venv/bin/python -m pytest -q -n "${TEST_WORKERS:-4}" --dist loadgroup "$@"

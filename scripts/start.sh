#!/usr/bin/env bash
# Start the bot (settings from .env or the environment); arguments go to `python -m bot`,
# e.g. scripts/start.sh check. Installs only when .venv is missing/broken or pyproject.toml
# changed, so a restart needs no package index.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv ""
# `check` then names ./scripts/start.sh (not `python -m bot`) in what to run next.
export BOT_LAUNCHER=start.sh
exec .venv/bin/python -m bot "$@"

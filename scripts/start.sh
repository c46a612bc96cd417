#!/usr/bin/env bash
# Start the bot (settings from .env or the environment); arguments go to `python -m bot`,
# e.g. scripts/start.sh check. Installs only when .venv is missing/broken or pyproject.toml
# changed, so a restart needs no package index.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv ""
exec .venv/bin/python -m bot "$@"

#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL with pg_cron that the tests start themselves.
# Extra arguments go to pytest (for example: scripts/test.sh -k messaging -x).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"

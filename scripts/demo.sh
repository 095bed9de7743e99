#!/usr/bin/env bash
# Runs `pgrollup demo`: a throwaway PostgreSQL cluster with pg_cron, sample data for every module,
# install, refresh, dashboards and health. Extra arguments go to `pgrollup demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/pgrollup demo "$@"

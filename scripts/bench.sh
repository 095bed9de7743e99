#!/usr/bin/env bash
# Runs the benchmark suite (benchmarks/, not part of the installed package) against the pgrollup
# installed in .venv by scripts/setup.sh. Arguments go to the runner, for example:
#   scripts/bench.sh --scale 1m,10m --scenario write --repeat 3
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m benchmarks "$@"

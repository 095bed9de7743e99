"""pgrollup's benchmark suite: a client of the installed ``pgrollup`` package, kept out of the
wheel. Run it from a checkout with ``scripts/bench.sh`` or ``python -m benchmarks``."""

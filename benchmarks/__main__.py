"""``python -m benchmarks`` (or ``scripts/bench.sh``): run the benchmark suite at one or more
scales and write docs/benchmarks.json and docs/BENCHMARKS.md."""
from __future__ import annotations

import click

from pgrollup.cli.common import user_errors

from .data import parse_scale
from .runner import SCENARIOS, run_bench


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--scale", default="1m", show_default=True,
              help="Source rows per module: 10k (smoke), 1m, 5m, 10m, or any count like 200k; several, "
                   "comma-separated (1m,5m,10m), run one after the other into the same results.")
@click.option("--dsn", default=None, help="Use this server (a throwaway database is created and dropped) "
              "instead of starting a throwaway cluster.")
@click.option("--output", default="docs", show_default=True, help="Directory for benchmarks.json and BENCHMARKS.md.")
@click.option("--repeat", default=5, show_default=True, help="Timed runs per measurement (after one warm-up).")
@click.option("--scenario", "scenarios", multiple=True, type=click.Choice(SCENARIOS),
              help="Run only these scenarios (repeatable). Default: all.")
@user_errors
def bench(scale, dsn, output, repeat, scenarios):
    """Benchmark suite: reads, refresh, write overhead, backfill, freshness; writes BENCHMARKS.md and benchmarks.json."""
    scales = [s.strip() for s in scale.split(",")]
    for s in scales:
        parse_scale(s)   # every scale checked before the first run starts
    for s in scales:
        run_bench(scale=s, dsn=dsn, output=output, repeat=repeat, scenarios=tuple(scenarios) or SCENARIOS)


if __name__ == "__main__":
    bench(prog_name="python -m benchmarks")

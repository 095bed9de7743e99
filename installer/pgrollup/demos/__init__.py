"""Per-module demo data and dashboards for ``pgrollup demo``."""

"""pgrollup: exact, pre-aggregated rollups of event tables inside PostgreSQL."""

__version__ = "0.1.0"

"""The committed schema dump must match a fresh install: every schema change is a reviewable diff."""
from schema_dump import DUMP_FILE, fresh_schema


def test_committed_schema_dump_is_current(pg_cluster):
    current = fresh_schema(pg_cluster)
    committed = DUMP_FILE.read_text() if DUMP_FILE.exists() else ""
    assert current == committed, ("docs/schema.sql is stale: regenerate it with "
                                  "'.venv/bin/python tests/schema_dump.py' and commit the diff")

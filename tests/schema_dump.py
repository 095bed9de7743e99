"""The committed schema dump (docs/schema.sql): a normalised ``pg_dump --schema-only`` of a fresh
install with every module, so every schema change is a reviewable diff.

Regenerate after a schema change with:  .venv/bin/python tests/schema_dump.py
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from core_support import REPORTING_EVENTS_DDL  # noqa: E402
from messaging_support import source_ddl  # noqa: E402

DUMP_FILE = Path(__file__).resolve().parent.parent / "docs" / "schema.sql"


def normalise(text: str) -> str:
    out = []
    for line in text.splitlines():
        if line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")):
            continue
        out.append(line.rstrip())
    text = "\n".join(out)
    # the capture functions hold their source table's OID (pgrollup_internal.bind_capture), which
    # differs from one database to the next
    text = re.sub(r"'[0-9]+'::pg_catalog\.regclass", "'0'::pg_catalog.regclass", text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    return "-- pgrollup: pg_dump --schema-only of a fresh install with every module (tests/schema_dump.py)\n\n" + text


def fresh_schema(cluster, dbname: str = "pgrollup_schema_dump") -> str:
    from pgrollup.engine.install import install

    with psycopg.connect(cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {dbname}")
        c.execute(f"CREATE DATABASE {dbname}")
    try:
        with psycopg.connect(cluster.dsn(dbname), autocommit=True) as conn:
            conn.execute(source_ddl())
            conn.execute(REPORTING_EVENTS_DDL)
            install(conn, cluster.dsn(dbname), ["messaging", "reporting"], schedule_mode=False)
        res = subprocess.run([str(cluster.bindir / "pg_dump"), "--schema-only", "--no-owner",
                              "-n", "pgrollup", "-n", "pgrollup_internal", "-d", cluster.dsn(dbname)],
                             capture_output=True, text=True, check=True)
        return normalise(res.stdout)
    finally:
        with psycopg.connect(cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


if __name__ == "__main__":
    from pgrollup.devdb import Cluster

    with Cluster() as cluster:
        DUMP_FILE.write_text(fresh_schema(cluster))
    print(f"wrote {DUMP_FILE}")

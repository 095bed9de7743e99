"""A non-superuser database owner, as on managed PostgreSQL: LOGIN, no CREATEDB, no CREATEROLE, owner
of the test database, of its public schema and of the source tables, with the pg_cron grants that
docs/OPERATIONS.md tells a superuser to give once."""
from __future__ import annotations

import contextlib

import psycopg

from pgrollup.engine.schedule import grant_statements


@contextlib.contextmanager
def database_owner(db, pg_cluster, name: str | None = None, cron_grants: bool = True, sources=None):
    """Yields the owner's role name; `sources(conn)` creates the source tables as the owner."""
    owner = name or f"{db.name}_owner"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f'CREATE ROLE "{owner}" LOGIN NOCREATEDB NOCREATEROLE')
        c.execute(f'ALTER DATABASE "{db.name}" OWNER TO "{owner}"')
        if cron_grants and pg_cluster.has_cron:
            for stmt in grant_statements(owner, same_database=False):
                c.execute(stmt)
    with db.connect() as conn:
        conn.execute(f'ALTER SCHEMA public OWNER TO "{owner}"')
    if sources is not None:
        with db.connect(user=owner) as conn:
            sources(conn)
    try:
        yield owner
    finally:
        drop_owner(db, pg_cluster, owner)


def drop_owner(db, pg_cluster, owner: str) -> None:
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        if pg_cluster.has_cron:
            c.execute("SELECT cron.unschedule(jobid) FROM cron.job WHERE username = %s", (owner,))
            c.execute(f'REVOKE ALL ON SCHEMA cron FROM "{owner}"')
            c.execute(f'REVOKE ALL ON ALL FUNCTIONS IN SCHEMA cron FROM "{owner}"')
        c.execute(f'ALTER DATABASE "{db.name}" OWNER TO postgres')
    with db.connect() as conn:
        conn.execute(f'REASSIGN OWNED BY "{owner}" TO postgres')
        conn.execute(f'DROP OWNED BY "{owner}"')
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f'DROP ROLE "{owner}"')

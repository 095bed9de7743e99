"""Applying migrations with yoyo (bookkeeping tables inside pgrollup_internal)."""
from __future__ import annotations

import psycopg
from yoyo import read_migrations
from yoyo.backends.core.postgresql import PostgresqlPsycopgBackend
from yoyo.connections import parse_uri

from .sqlfiles import Module

INTERNAL_SCHEMA = "pgrollup_internal"
MIGRATION_TABLE = "_yoyo_migration"


class _Backend(PostgresqlPsycopgBackend):
    """yoyo's psycopg 3 backend, connecting with a libpq connection string instead of a URI."""

    conninfo = ""
    # yoyo creates its lock table at every run and ignores the error when it exists, which writes
    # an ERROR to the server's log at every upgrade; IF NOT EXISTS says nothing there
    create_lock_table_sql = PostgresqlPsycopgBackend.create_lock_table_sql.replace(
        "CREATE TABLE ", "CREATE TABLE IF NOT EXISTS ", 1)

    def connect(self, dburi):
        self.schema = INTERNAL_SCHEMA
        return psycopg.connect(self.conninfo, autocommit=True)

    def _check_transactional_ddl(self):
        # PostgreSQL's DDL is transactional. yoyo's probe (DROP of a table that a rolled-back
        # transaction created) would write an ERROR to the server's log at every install.
        return True


def _backend(dsn: str):
    backend_class = type("PgrollupBackend", (_Backend,), {"conninfo": dsn})
    backend = backend_class(parse_uri(f"postgresql+psycopg:///pgrollup?schema={INTERNAL_SCHEMA}"), MIGRATION_TABLE)
    backend.init_database()
    return backend


def load(mods: list[Module]):
    return read_migrations(*[str(m.migrations_dir) for m in mods if m.migrations_dir.is_dir()])


def applied_ids(conn: psycopg.Connection) -> set[str] | None:
    """Migration ids already applied, read without creating anything (None: nothing installed)."""
    exists = conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
                          (f"{INTERNAL_SCHEMA}.{MIGRATION_TABLE}",)).fetchone()[0]
    if not exists:
        return None
    return {r[0] for r in conn.execute(
        f"SELECT migration_id FROM {INTERNAL_SCHEMA}.{MIGRATION_TABLE}").fetchall()}


def pending(conn: psycopg.Connection, mods: list[Module]):
    """The migrations of these modules not applied yet, in order (read-only)."""
    done = applied_ids(conn) or set()
    return [m for m in load(mods) if m.id not in done]


def apply(dsn: str, mods: list[Module]) -> list[str]:
    """Apply pending migrations under yoyo's lock; returns the ids applied."""
    backend = _backend(dsn)
    try:
        migrations = load(mods)
        with backend.lock():
            todo = backend.to_apply(migrations)
            backend.apply_migrations(todo)
        return [m.id for m in todo]
    finally:
        backend.connection.close()


def statements(migration) -> list[str]:
    """The SQL statements of one (SQL) migration, for --dry-run."""
    from yoyo.migrations import read_sql_migration

    _, _, stmts = read_sql_migration(migration.path)
    return stmts

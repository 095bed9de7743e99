"""Do no harm: nothing outside pgrollup can block it. The per-module maintenance lock is a row lock
on pgrollup's own registry, which a role without pgrollup's privileges cannot take; the advisory
lock keys the lock used to be (one namespace shared by every role) no longer matter."""
from __future__ import annotations

import psycopg
import pytest

from messaging_support import create_sources


@pytest.fixture
def nobody(db, pg_cluster):
    role = f"{db.name}_nobody"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {role} LOGIN")
    yield role
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"DROP OWNED BY {role}")
        c.execute(f"DROP ROLE {role}")


@pytest.fixture
def mdb(db):
    create_sources(db)
    db.install(modules=["messaging"])
    return db


def _refresh_fast(conn, module="messaging"):
    conn.execute("SET lock_timeout = '2s'")
    conn.execute("SET statement_timeout = '20s'")
    return conn.execute("SELECT status FROM pgrollup.refresh(%s)", (module,)).fetchall()


def test_old_advisory_keys_do_not_block_refresh(mdb, nobody):
    with mdb.connect(user=nobody) as hostile:
        assert hostile.execute("SELECT pg_advisory_lock(1885827701, hashtext('messaging'))").fetchone()
        assert hostile.execute("SELECT pg_advisory_lock(1885827701, hashtext('reporting'))").fetchone()
        with mdb.connect() as conn:
            assert _refresh_fast(conn) == [("ok",)]
            # without waiting, too: the module is not reported busy
            assert conn.execute("SELECT status FROM pgrollup.refresh('messaging', false)").fetchall() == [("ok",)]


def test_role_without_grants_cannot_take_the_module_lock(mdb, nobody):
    with mdb.connect(user=nobody, autocommit=False) as hostile:
        for stmt in ("SELECT * FROM pgrollup_internal.modules FOR UPDATE",
                     "SELECT pgrollup_internal.lock_module('messaging', true)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                hostile.execute(stmt)
            hostile.rollback()
    with mdb.connect() as conn:
        assert _refresh_fast(conn) == [("ok",)]


def test_module_lock_still_serializes_refreshes(mdb):
    with mdb.connect(autocommit=False) as holder:
        assert holder.execute("SELECT pgrollup_internal.lock_module('messaging', true)").fetchone()[0] is True
        with mdb.connect() as conn:
            assert conn.execute("SELECT status FROM pgrollup.refresh('messaging', false)").fetchall() == [("skipped",)]
            assert conn.execute("SELECT pgrollup_internal.lock_module('messaging', false)").fetchone()[0] is False
        holder.rollback()
    with mdb.connect() as conn:
        assert conn.execute("SELECT status FROM pgrollup.refresh('messaging', false)").fetchall() == [("ok",)]

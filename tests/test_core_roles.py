"""Roles and least privilege: pgrollup_reader for BI tools, pgrollup_admin for operators."""
import psycopg
import pytest

from core_support import add_fake_module


@pytest.fixture
def users(db, pg_cluster):
    bi, ops = f"{db.name}_bi", f"{db.name}_ops"
    db.install()
    add_fake_module(db)
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {bi} LOGIN IN ROLE pgrollup_reader")
        c.execute(f"CREATE ROLE {ops} LOGIN IN ROLE pgrollup_admin")
    with db.connect() as conn:
        conn.execute(f"GRANT USAGE ON SCHEMA fake TO {ops}")          # the stand-in module's own schema
        conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA fake TO {ops}")
    yield bi, ops
    with db.connect() as conn:
        conn.execute(f"DROP OWNED BY {bi}, {ops}")
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        for r in (bi, ops):
            c.execute(f"DROP ROLE {r}")


def test_roles_exist_after_install(db):
    db.install()
    assert {r[0] for r in db.rows("SELECT rolname FROM pg_roles WHERE rolname LIKE 'pgrollup_%'")} == \
        {"pgrollup_reader", "pgrollup_admin"}


def test_reader_reads_and_nothing_else(db, users):
    bi, _ = users
    with db.connect(user=bi) as conn:
        assert conn.execute("SELECT count(*) FROM pgrollup.rollup_health").fetchone()[0] == 1
        conn.execute("SELECT * FROM pgrollup.refresh_runs").fetchall()
        assert conn.execute("SELECT pgrollup.version()").fetchone()[0]
        for stmt in ("SELECT * FROM pgrollup.refresh()",
                     "UPDATE pgrollup.alert_thresholds SET failures_warning = 5",
                     "SELECT * FROM pgrollup_internal.refresh_runs",
                     "INSERT INTO pgrollup_internal.settings VALUES ('x', 'y')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)


def test_admin_refreshes_and_sets_thresholds(db, users):
    _, ops = users
    with db.connect(user=ops) as conn:
        assert conn.execute("SELECT status FROM pgrollup.refresh('fake')").fetchone()[0] == "ok"
        conn.execute("UPDATE pgrollup.alert_thresholds SET failures_warning = 2 WHERE module = '*'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM pgrollup_internal.refresh_runs")


def test_public_has_no_access(db, pg_cluster, users):
    nobody = f"{db.name}_nobody"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {nobody} LOGIN")
    try:
        with db.connect(user=nobody) as conn:
            for stmt in ("SELECT * FROM pgrollup.rollup_health", "SELECT * FROM pgrollup.refresh()"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(stmt)
    finally:
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"DROP ROLE {nobody}")


def test_uninstall_drop_roles(db, cli):
    db.install()
    res = cli("uninstall", "--dsn", db.dsn, "--yes", "--drop-roles")
    assert res.returncode == 0, res.stderr
    remaining = {r[0] for r in db.rows("SELECT rolname FROM pg_roles WHERE rolname LIKE 'pgrollup_%'")}
    for role in ("pgrollup_reader", "pgrollup_admin"):
        # dropped, unless another database of the cluster still grants it something (then it says so)
        assert (role not in remaining and f"dropped role {role}" in res.stdout) or \
            (role in remaining and f"kept role {role}" in res.stdout)
    db.install()                                    # a later install creates them again
    assert {r[0] for r in db.rows("SELECT rolname FROM pg_roles WHERE rolname LIKE 'pgrollup_%'")} == \
        {"pgrollup_reader", "pgrollup_admin"}

"""Roles and least privilege: each database has its own reader (BI tools) and admin (operators)
role, shown by pgrollup.access_roles; membership for one database gives nothing in another."""
import psycopg
import pytest

from core_support import add_fake_module
from pgrollup.engine.roles import marker, role_name


def access_roles(db):
    return dict(db.rows("SELECT role_kind, role_name FROM pgrollup.access_roles"))


@pytest.fixture
def users(db, pg_cluster):
    bi, ops = f"{db.name}_bi", f"{db.name}_ops"
    db.install()
    add_fake_module(db)
    roles = access_roles(db)
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {bi} LOGIN IN ROLE {roles['reader']}")
        c.execute(f"CREATE ROLE {ops} LOGIN IN ROLE {roles['admin']}")
    with db.connect() as conn:
        conn.execute(f"GRANT USAGE ON SCHEMA fake TO {ops}")          # the stand-in module's own schema
        conn.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA fake TO {ops}")
    yield bi, ops
    with db.connect() as conn:
        conn.execute(f"DROP OWNED BY {bi}, {ops}")
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        for r in (bi, ops):
            c.execute(f"DROP ROLE {r}")


def test_roles_of_this_database_after_install(db):
    db.install()
    assert access_roles(db) == {"reader": f"pgrollup_{db.name}_reader", "admin": f"pgrollup_{db.name}_admin"}
    for kind, name in access_roles(db).items():
        assert db.scalar("SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = %s",
                         (name,)) == marker(db.name, kind)
    assert db.scalar("SELECT pg_typeof(role_name)::text FROM pgrollup.access_roles LIMIT 1") == "name"
    assert db.scalar("SELECT obj_description('pgrollup.access_roles'::regclass)")
    # the shared roles of earlier versions (they may exist in the cluster) get nothing here
    assert db.scalar("SELECT count(*) FROM pg_roles WHERE rolname IN ('pgrollup_reader', 'pgrollup_admin') "
                     "AND has_schema_privilege(oid, 'pgrollup', 'USAGE')") == 0


def test_role_names_fit_in_63_bytes():
    long = "ü" * 40
    for kind in ("reader", "admin"):
        name = role_name(long, kind)
        assert len(name.encode()) <= 63 and name.endswith(f"_{kind}") and name.startswith("pgrollup_")
        name.encode().decode()                         # no character cut in half
    assert role_name(long, "reader") != role_name(long + "x", "reader")
    assert role_name("app", "reader") == "pgrollup_app_reader"


def test_reader_reads_and_nothing_else(db, users):
    bi, _ = users
    with db.connect(user=bi) as conn:
        assert conn.execute("SELECT count(*) FROM pgrollup.rollup_health").fetchone()[0] == 1
        conn.execute("SELECT * FROM pgrollup.refresh_runs").fetchall()
        assert conn.execute("SELECT count(*) FROM pgrollup.access_roles").fetchone()[0] == 2
        assert conn.execute("SELECT pgrollup.version()").fetchone()[0]
        for stmt in ("SELECT * FROM pgrollup.refresh()",
                     "UPDATE pgrollup.alert_thresholds SET failures_warning = 5",
                     "SELECT * FROM pgrollup_internal.refresh_runs",
                     "INSERT INTO pgrollup_internal.settings VALUES ('x', 'y')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)


def test_reader_and_admin_run_pgrollup_status(db, users, cli):
    """Monitoring needs no owner: `pgrollup status` works for this database's roles."""
    for user in users:
        res = cli("status", "--dsn", db.dsn_as(user))
        assert res.returncode in (0, 1), res.stderr
        assert "overall:" in res.stdout and "fake" in res.stdout


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
            for stmt in ("SELECT * FROM pgrollup.rollup_health", "SELECT * FROM pgrollup.refresh()",
                         "SELECT * FROM pgrollup.access_roles"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(stmt)
    finally:
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"DROP ROLE {nobody}")


def test_a_role_pgrollup_did_not_create_is_not_trusted(db, pg_cluster, cli):
    squatter = role_name(db.name, "reader")
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {squatter} NOLOGIN")
    res = cli("install", "--dsn", db.dsn, "--no-schedule")
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert squatter in res.stderr and "COMMENT ON ROLE" in res.stderr and "not trusted" in res.stderr
    assert db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgrollup%'") == 0
    # a role marked for another database is not trusted either
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"COMMENT ON ROLE {squatter} IS '{marker('otherdb', 'reader')}'")
    assert cli("install", "--dsn", db.dsn, "--no-schedule").returncode == 1
    # the fix the message names
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"COMMENT ON ROLE {squatter} IS '{marker(db.name, 'reader')}'")
    res = cli("install", "--dsn", db.dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    assert access_roles(db)["reader"] == squatter


def test_uninstall_drop_roles(db, cli):
    db.install()
    names = access_roles(db)
    res = cli("uninstall", "--dsn", db.dsn, "--yes", "--drop-roles")
    assert res.returncode == 0, res.stderr
    for role in names.values():
        assert f"dropped role {role}" in res.stdout
        assert db.scalar("SELECT count(*) FROM pg_roles WHERE rolname = %s", (role,)) == 0
    db.install()                                    # a later install creates them again
    assert access_roles(db) == names

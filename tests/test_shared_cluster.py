"""Several databases, several owners, one cluster: nothing of one database is reachable from
another through pgrollup's roles, and the roles of earlier versions (shared by every database) are
retired from a database when it is upgraded."""
import uuid

import psycopg
import pytest

import reporting_support as rs
import conftest
from owner_support import database_owner
from pgrollup.engine.roles import role_name

EVENTS = """INSERT INTO public.reporting_events (name, value, account_id, inbox_id, user_id, conversation_id, created_at)
            SELECT 'conversation_resolved', g, 77, 1, 1, g, timestamp '2026-03-01' + g * interval '1 hour'
              FROM generate_series(1, 50) g"""


@pytest.fixture
def second_db(pg_cluster):
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE DATABASE {name} TEMPLATE pgrollup_tpl")
    yield conftest.TestDB(pg_cluster, name)
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute("SELECT cron.unschedule(jobid) FROM cron.job WHERE database = %s", (name,))
        c.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        for kind in ("reader", "admin"):
            c.execute(f"DROP ROLE IF EXISTS pgrollup_{name}_{kind}")


@pytest.fixture
def logins(pg_cluster):
    made = []

    def make(name, *options):
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"CREATE ROLE {name} LOGIN {' '.join(options)}")
        made.append(name)
        return name
    yield make
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        for name in reversed(made):
            c.execute(f"DROP ROLE IF EXISTS {name}")


def test_membership_for_one_database_gives_nothing_in_another(db, second_db, pg_cluster, cli, logins):
    a, b = db, second_db
    with database_owner(a, pg_cluster, sources=rs.create_source) as owner_a, \
            database_owner(b, pg_cluster, sources=rs.create_source) as owner_b:
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"ALTER ROLE {owner_a} CREATEROLE")          # A's owner may create roles, B's may not
        res = cli("install", "--dsn", a.dsn_as(owner_a), "--no-schedule")
        assert res.returncode == 0, res.stderr
        assert f"created roles {role_name(a.name, 'reader')}" in res.stdout

        # B's owner may not create roles: install says so and prints the statements, one per line,
        # that a role with nothing but CREATEROLE can run
        res = cli("install", "--dsn", b.dsn_as(owner_b), "--no-schedule")
        assert res.returncode == 0, res.stderr
        stmts = [line for line in res.stdout.splitlines()
                 if line.startswith(("CREATE ROLE", "COMMENT ON ROLE", "GRANT pgrollup_"))]
        assert len(stmts) == 6 and all(len(s) < 200 for s in stmts), res.stdout
        assert b.scalar("SELECT count(*) FROM pgrollup.access_roles") == 0
        role_admin = logins(f"{b.name}_roleadmin", "CREATEROLE")
        with b.connect(user=role_admin) as conn:
            for stmt in stmts:
                conn.execute(stmt)
        res = cli("install", "--dsn", b.dsn_as(owner_b), "--no-schedule")
        assert res.returncode == 0, res.stderr
        assert dict(b.rows("SELECT role_kind, role_name FROM pgrollup.access_roles")) == \
            {"reader": role_name(b.name, "reader"), "admin": role_name(b.name, "admin")}

        # each owner hands out its own database's roles
        bi_a, ops_a, bi_b = logins(f"{a.name}_bi"), logins(f"{a.name}_ops"), logins(f"{b.name}_bi")
        with a.connect(user=owner_a) as conn:
            conn.execute(f"GRANT {role_name(a.name, 'reader')} TO {bi_a}")
            conn.execute(f"GRANT {role_name(a.name, 'admin')} TO {ops_a}")
        with b.connect(user=owner_b) as conn:
            conn.execute(f"GRANT {role_name(b.name, 'reader')} TO {bi_b}")
        for d, owner in ((a, owner_a), (b, owner_b)):
            with d.connect(user=owner) as conn:
                conn.execute("SELECT pgrollup.set_reporting_timezone(77, 'UTC')")
                conn.execute(EVENTS)
                conn.execute("SELECT * FROM pgrollup.refresh()")

        reads = ["SELECT count(*) FROM pgrollup.reporting_events_rollups",
                 "SELECT count(*) FROM pgrollup.report_summary(77, '2026-03-01', '2026-04-01')",
                 "SELECT count(*) FROM pgrollup.rollup_health"]
        with a.connect(user=bi_a) as conn:
            assert conn.execute(reads[0]).fetchone()[0] > 0
        with b.connect(user=bi_b) as conn:
            assert conn.execute(reads[0]).fetchone()[0] > 0
        # A's reader and admin connect to B (CONNECT is PUBLIC's, it is not what guards the data)
        # and get nothing of pgrollup there
        for user in (bi_a, ops_a):
            with b.connect(user=user) as conn:
                for stmt in reads + ["SELECT pgrollup.set_reporting_timezone(77, NULL)",
                                     "SELECT * FROM pgrollup.refresh()",
                                     "SELECT pgrollup.backfill_reporting(77)",
                                     "UPDATE pgrollup.alert_thresholds SET failures_warning = 9"]:
                    with pytest.raises(psycopg.errors.InsufficientPrivilege):
                        conn.execute(stmt)
        with a.connect(user=ops_a) as conn:                        # while in A the admin administers
            conn.execute("SELECT * FROM pgrollup.refresh()")
            conn.execute("SELECT pgrollup.set_reporting_timezone(77, 'Asia/Kolkata')")
        assert b.scalar("SELECT timezone FROM pgrollup_internal.reporting_accounts WHERE account_id = 77") == "UTC"
        with b.connect(user=bi_b) as conn:
            assert conn.execute(reads[0]).fetchone()[0] > 0
        with a.connect(user=bi_b) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(reads[0])


def legacy_reader_member(pg_cluster, user):
    """The shared roles of earlier versions (cluster-wide), with `user` a member of the reader."""
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        for r in ("pgrollup_reader", "pgrollup_admin"):
            if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (r,)).fetchone():
                c.execute(f"CREATE ROLE {r} NOLOGIN")
        c.execute(f"GRANT pgrollup_reader TO {user}")
    return user


def test_upgrade_from_the_shared_roles_of_earlier_versions(db, pg_cluster, cli, logins):
    """An install made by an earlier version granted to pgrollup_reader / pgrollup_admin, shared by
    every database: the upgrade moves this database to its own roles, revokes the shared roles'
    grants here, gives their members the new roles, and says so."""
    with db.connect() as conn:
        rs.create_source(conn)
    db.install()
    bi = legacy_reader_member(pg_cluster, logins(f"{db.name}_legacy_bi"))
    with db.connect() as conn:            # what the earlier installer granted
        conn.execute("GRANT USAGE ON SCHEMA pgrollup TO pgrollup_reader, pgrollup_admin")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA pgrollup TO pgrollup_reader")
        conn.execute("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgrollup TO pgrollup_admin")
        conn.execute(f"REVOKE {role_name(db.name, 'reader')} FROM {bi}")
    try:
        res = cli("install", "--dsn", db.dsn, "--no-schedule")
        assert res.returncode == 0, res.stderr
        assert "pgrollup_reader" in res.stdout and "revoked" in res.stdout and bi in res.stdout
        with db.connect() as conn:
            for old in ("pgrollup_reader", "pgrollup_admin"):
                assert not conn.execute("SELECT has_schema_privilege(%s, 'pgrollup', 'USAGE')", (old,)).fetchone()[0]
            assert not conn.execute("SELECT has_function_privilege('pgrollup_admin', 'pgrollup.refresh(text, boolean)', "
                                    "'EXECUTE')").fetchone()[0]
        with db.connect(user=bi) as conn:     # the BI user keeps working, through this database's reader
            conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups").fetchone()
        assert db.scalar("SELECT pg_has_role(%s, %s, 'MEMBER')", (bi, role_name(db.name, "reader")))
    finally:
        with db.connect() as conn:
            conn.execute("DROP OWNED BY pgrollup_reader, pgrollup_admin")


def test_owner_without_createrole_upgrades_from_the_shared_roles(db, pg_cluster, cli, logins):
    """The shared roles keep their access until this database's roles exist; then the owner, given
    them WITH ADMIN OPTION by the printed statements, moves their members over."""
    with database_owner(db, pg_cluster, sources=rs.create_source) as owner:
        dsn = db.dsn_as(owner)
        res = cli("install", "--dsn", dsn, "--no-schedule")
        assert res.returncode == 0, res.stderr
        stmts = [line for line in res.stdout.splitlines()
                 if line.startswith(("CREATE ROLE", "COMMENT ON ROLE", "GRANT pgrollup_"))]
        bi = legacy_reader_member(pg_cluster, logins(f"{db.name}_legacy_bi"))
        with db.connect(user=owner) as conn:     # what the earlier installer granted
            conn.execute("GRANT USAGE ON SCHEMA pgrollup TO pgrollup_reader")
            conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA pgrollup TO pgrollup_reader")
        try:
            res = cli("install", "--dsn", dsn, "--no-schedule")
            assert res.returncode == 0, res.stderr
            with db.connect(user=bi) as conn:    # not yet moved: the new roles do not exist
                conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups").fetchone()
            with db.connect() as conn:
                for stmt in stmts:
                    conn.execute(stmt)
            res = cli("install", "--dsn", dsn, "--no-schedule")
            assert res.returncode == 0, res.stderr
            assert f"its members now have {role_name(db.name, 'reader')}: {bi}" in res.stdout
            assert not db.scalar("SELECT has_schema_privilege('pgrollup_reader', 'pgrollup', 'USAGE')")
            with db.connect(user=bi) as conn:
                conn.execute("SELECT count(*) FROM pgrollup.reporting_events_rollups").fetchone()
        finally:
            with db.connect() as conn:
                conn.execute("DROP OWNED BY pgrollup_reader, pgrollup_admin")

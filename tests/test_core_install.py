"""Installer: install, second install, dry run, uninstall, packaging, errors."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import psycopg
import pytest

import pgrollup
from pgrollup.devdb import Cluster

REPO = Path(__file__).resolve().parent.parent


def schemas(db):
    return {r[0] for r in db.rows("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'pgrollup%'")}


def test_install_creates_core_and_version(db, cli):
    res = cli("install", "--dsn", db.dsn, "--no-schedule")
    assert res.returncode == 0, res.stderr
    assert "installed" in res.stdout
    assert schemas(db) == {"pgrollup", "pgrollup_internal"}
    assert db.scalar("SELECT pgrollup.version()") == pgrollup.__version__
    # yoyo's bookkeeping lives inside pgrollup_internal, nowhere else
    tables = {r[0] for r in db.rows("SELECT table_schema || '.' || table_name FROM information_schema.tables "
                                    "WHERE table_name LIKE '%yoyo%'")}
    assert tables and all(t.startswith("pgrollup_internal.") for t in tables)
    # every function and view in both schemas is commented, every function pins search_path
    uncommented = db.rows("""
        SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('pgrollup', 'pgrollup_internal') AND obj_description(p.oid, 'pg_proc') IS NULL""")
    assert uncommented == []
    unpinned = db.rows("""
        SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('pgrollup', 'pgrollup_internal') AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'sql')
           AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
           AND p.proname <> 'utc'
           AND p.prokind <> 'p'  -- a procedure with a SET clause may not COMMIT (run_refresh names nothing unqualified)
    """)
    assert unpinned == []


def test_second_install_changes_nothing(db, pg_cluster):
    with db.connect() as conn:
        conn.execute("CREATE TABLE public.keep (id int primary key)")
    db.install()
    before = pg_cluster.dump_schema(db.name)
    res = db.install()
    assert res.migrations_applied == []
    assert pg_cluster.dump_schema(db.name) == before


def test_install_writes_no_error_to_the_server_log(db, pg_cluster):
    """A DBA watches the server's log for errors: installing pgrollup, adding its modules,
    installing again (an upgrade's path) and the first refresh add none (yoyo's probe for transactional DDL used to add one each time)."""
    from core_support import REPORTING_EVENTS_DDL
    from messaging_support import create_sources
    create_sources(db)
    with db.connect() as conn:
        conn.execute(REPORTING_EVENTS_DDL)
    log = Path(pg_cluster.log)
    start = log.stat().st_size
    db.install()
    db.install(modules=["messaging", "reporting"])
    db.install(modules=["messaging", "reporting"])
    with db.connect() as conn:
        conn.execute("SELECT pgrollup.refresh()")
    with open(log, "rb") as f:
        f.seek(start)
        added = f.read().decode(errors="replace")
    assert [line for line in added.splitlines() if "ERROR:" in line] == []


def test_dry_run_creates_nothing(db, pg_cluster, cli):
    before = pg_cluster.dump_schema(db.name)
    res = cli("install", "--dsn", db.dsn, "--dry-run")
    assert res.returncode == 0, res.stderr
    assert "CREATE TABLE pgrollup_internal.modules" in res.stdout
    assert "CREATE OR REPLACE FUNCTION pgrollup.refresh" in res.stdout
    assert "cron.schedule_in_database" in res.stdout
    assert pg_cluster.dump_schema(db.name) == before
    assert schemas(db) == set()
    with psycopg.connect(pg_cluster.dsn("postgres")) as c:
        assert c.execute("SELECT count(*) FROM cron.job WHERE database = %s", (db.name,)).fetchone()[0] == 0


def test_dry_run_after_install_lists_only_code(db, cli):
    db.install()
    res = cli("install", "--dsn", db.dsn, "--dry-run", "--no-schedule")
    assert res.returncode == 0, res.stderr
    assert "-- migration" not in res.stdout
    assert "CREATE OR REPLACE FUNCTION pgrollup.refresh" in res.stdout


def test_uninstall_leaves_database_as_it_was(db, pg_cluster, cli):
    with db.connect() as conn:
        conn.execute("CREATE TABLE public.events (id bigint primary key, payload text)")
        conn.execute("INSERT INTO public.events SELECT g, md5(g::text) FROM generate_series(1, 100) g")
    before = pg_cluster.dump_schema(db.name)
    rows_before = db.rows("SELECT * FROM public.events ORDER BY id")
    assert cli("install", "--dsn", db.dsn).returncode == 0
    with psycopg.connect(pg_cluster.dsn("postgres")) as c:
        assert c.execute("SELECT count(*) FROM cron.job WHERE database = %s", (db.name,)).fetchone()[0] == 1
    res = cli("uninstall", "--dsn", db.dsn, "--yes")
    assert res.returncode == 0, res.stderr
    assert pg_cluster.dump_schema(db.name) == before
    assert db.rows("SELECT * FROM public.events ORDER BY id") == rows_before
    with psycopg.connect(pg_cluster.dsn("postgres")) as c:
        assert c.execute("SELECT count(*) FROM cron.job WHERE database = %s", (db.name,)).fetchone()[0] == 0


def test_uninstall_without_yes_refuses_non_interactive(db, cli):
    db.install()
    res = cli("uninstall", "--dsn", db.dsn)
    assert res.returncode != 0
    assert schemas(db) == {"pgrollup", "pgrollup_internal"}


def test_install_by_non_superuser_database_owner(db, pg_cluster, cli):
    owner = f"{db.name}_owner"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {owner} LOGIN")
        c.execute(f"ALTER DATABASE {db.name} OWNER TO {owner}")
    try:
        with db.connect() as conn:
            conn.execute(f"ALTER SCHEMA public OWNER TO {owner}")
        dsn = db.dsn_as(owner)
        before = pg_cluster.dump_schema(db.name)
        for _ in range(2):
            res = cli("install", "--dsn", dsn, "--no-schedule")
            assert res.returncode == 0, res.stderr
        assert db.scalar("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'pgrollup'") == owner
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT count(*) FROM pgrollup.refresh()").fetchone()[0] == 0
        res = cli("uninstall", "--dsn", dsn, "--yes")
        assert res.returncode == 0, res.stderr
        assert pg_cluster.dump_schema(db.name) == before
    finally:
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"ALTER DATABASE {db.name} OWNER TO postgres")
        with db.connect() as conn:
            conn.execute(f"REASSIGN OWNED BY {owner} TO postgres")
            conn.execute(f"DROP OWNED BY {owner}")
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"DROP ROLE {owner}")


def test_missing_privilege_is_one_clear_line(db, pg_cluster, cli):
    role = f"{db.name}_nobody"
    with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
        c.execute(f"CREATE ROLE {role} LOGIN")
    try:
        res = cli("install", "--dsn", db.dsn_as(role), "--no-schedule")
        assert res.returncode != 0
        assert "Traceback" not in res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pgrollup: error:"), res.stderr
        assert "permission denied" in lines[0] and role in lines[0]
        assert schemas(db) == set()
    finally:
        with psycopg.connect(pg_cluster.dsn("postgres"), autocommit=True) as c:
            c.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize("args", [
    ["status", "--dsn", "host=127.0.0.1 port=1 dbname=x user=postgres connect_timeout=3"],   # unreachable
    ["install", "--dsn", "this is = not a dsn"],                                             # bad DSN
    ["status", "--dsn", "postgresql://postgres@127.0.0.1:1/x"],                             # unreachable URI
    ["install", "--module", "nope", "--dsn", "host=127.0.0.1 port=1"],                      # unknown module
])
def test_user_errors_are_one_line(args, cli):
    res = cli(*args)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pgrollup: error:"), res.stderr


def test_missing_database_is_one_line(pg_cluster, cli):
    res = cli("status", "--dsn", pg_cluster.dsn("no_such_db"))
    assert res.returncode != 0
    assert res.stderr.count("\n") == 1 and "no_such_db" in res.stderr


def test_status_before_install_says_so(db, cli):
    res = cli("status", "--dsn", db.dsn)
    assert res.returncode != 0
    assert "pgrollup install" in res.stderr and res.stderr.count("\n") == 1


def test_connection_from_environment(db, cli, pg_cluster):
    db.install()
    res = cli("status", env={"PGROLLUP_DSN": db.dsn})
    assert res.returncode == 0, res.stderr
    res = cli("status", env={"PGHOST": "127.0.0.1", "PGPORT": str(pg_cluster.port), "PGUSER": "postgres",
                             "PGDATABASE": db.name})
    assert res.returncode == 0, res.stderr


def test_wheel_carries_every_sql_file_and_no_benchmark_code(tmp_path):
    out = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(out.glob("pgrollup-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"pgrollup/" + str(p.relative_to(REPO)) for p in (REPO / "sql").rglob("*") if p.is_file()}
    assert expected and expected <= names
    # the wheel is what a DBA installs: the engine, the CLI and the demo, no benchmark harness
    code = {n for n in names if n.endswith(".py")}
    assert "pgrollup/cli/__init__.py" in code and "pgrollup/engine/install.py" in code
    assert not [n for n in names if "bench" in n.lower()], sorted(names)
    assert all(n.startswith(("pgrollup/", "pgrollup-")) for n in names), sorted(names)


def test_installer_package_has_no_import_cycle():
    """Each module of the installed package imports only modules that do not import it back."""
    import ast
    pkg = Path(pgrollup.__file__).resolve().parent
    graph = {}
    for path in pkg.rglob("*.py"):
        mod = ".".join(("pgrollup",) + path.relative_to(pkg).with_suffix("").parts).removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
                for _ in range(node.level - 1):
                    base = base.rsplit(".", 1)[0]
                target = (base + "." + node.module if node.module else base) if node.level else (node.module or "")
                names = [target] + [target + "." + a.name for a in node.names]
                deps |= {n for n in names if n.startswith("pgrollup")}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("pgrollup")}
        graph[mod] = deps
    graph = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}

    def reaches(start, goal, seen):
        for d in graph[start]:
            if d == goal or (d not in seen and not seen.add(d) and reaches(d, goal, seen)):
                return True
        return False
    cycles = [m for m in graph if reaches(m, m, set())]
    assert not cycles, {m: sorted(graph[m]) for m in cycles}


def test_install_works_from_any_directory(db, tmp_path):
    res = subprocess.run([sys.executable, "-m", "pgrollup", "install", "--dsn", db.dsn, "--no-schedule"],
                         cwd=tmp_path, capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("PG")})
    assert res.returncode == 0, res.stderr


def test_without_pg_cron_install_succeeds_and_explicit_schedule_fails(cli):
    with Cluster(with_cron=False) as plain:
        dsn = plain.dsn("postgres")
        res = cli("install", "--dsn", dsn, "--schedule", "0 * * * *")
        assert res.returncode != 0
        assert res.stderr.count("\n") == 1 and "pg_cron" in res.stderr
        with psycopg.connect(dsn) as c:
            assert c.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'pgrollup%'").fetchone()[0] == 0
        res = cli("install", "--dsn", dsn)
        assert res.returncode == 0, res.stderr
        assert sum("pgrollup refresh" in line for line in res.stdout.splitlines()) == 1
        res = cli("schedule", "--dsn", dsn)
        assert res.returncode != 0 and res.stderr.count("\n") == 1


def test_package_layout_is_the_documented_one():
    """docs/ARCHITECTURE.md names every file of the installed package, and nothing that is gone."""
    doc = (REPO / "docs" / "ARCHITECTURE.md").read_text()
    layout = doc.split("## Repository layout", 1)[1].split("```", 2)[1]
    pkg = REPO / "installer" / "pgrollup"
    files = {p.name for p in pkg.rglob("*.py")} | {p.name + "/" for p in pkg.iterdir() if p.is_dir() and p.name != "__pycache__"}
    named = {w for line in layout.splitlines() for w in line.split() if w.endswith((".py", "/"))}
    missing = {f for f in files if f not in named and f.removesuffix(".py") + ".py" not in named}
    assert not missing, f"not in docs/ARCHITECTURE.md: {sorted(missing)}"
    stale = {w for w in named if w.endswith(".py") and not list(REPO.rglob(w))}
    assert not stale, f"named in docs/ARCHITECTURE.md but absent: {sorted(stale)}"

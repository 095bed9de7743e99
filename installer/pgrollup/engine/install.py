"""install / uninstall: the steps behind ``pgrollup install`` and ``pgrollup uninstall``."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from . import migrate, roles, schedule as cron
from .connection import first_line
from ..errors import UserError
from .sqlfiles import CORE, Module, check_module_names, modules as all_modules, render


@dataclass
class InstallResult:
    modules: list[str]
    migrations_applied: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)     # dry run: what would run


def installed_modules(conn: psycopg.Connection) -> dict[str, str]:
    """{module: source_schema} of what is installed (empty when nothing is)."""
    if not conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.modules') IS NOT NULL").fetchone()[0]:
        return {}
    return dict(conn.execute("SELECT module, source_schema FROM pgrollup_internal.modules ORDER BY module").fetchall())


def missing_source_objects(conn: psycopg.Connection, module: Module, schema: str) -> list[str]:
    """Tables and columns the module needs that the source schema lacks."""
    missing = []
    for table, columns in module.tables.items():
        rel = conn.execute("SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE n.nspname = %s AND c.relname = %s AND c.relkind IN ('r', 'p')",
                           (schema, table)).fetchone()
        if rel is None:
            missing.append(f"table {schema}.{table}")
            continue
        have = {r[0] for r in conn.execute(
            "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped",
            (rel[0],)).fetchall()}
        missing += [f"column {schema}.{table}.{c}" for c in columns if c not in have]
    return missing


def has_source_tables(conn: psycopg.Connection, module: Module, schema: str) -> bool:
    return all(conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
                            (sql.Identifier(schema, t).as_string(conn),)).fetchone()[0]
               for t in module.tables)


def missing_indexes(conn: psycopg.Connection, module: Module, schema: str) -> list[str]:
    """CREATE INDEX statements for the source indexes pgrollup relies on that are absent."""
    ddl = []
    for idx in module.recommended_indexes:
        table, cols = idx["table"], idx["columns"]
        rel = conn.execute("SELECT pg_catalog.to_regclass(%s)", (sql.Identifier(schema, table).as_string(conn),)).fetchone()[0]
        if rel is None:
            continue
        found = conn.execute(
            """SELECT EXISTS (
                 SELECT 1 FROM pg_catalog.pg_index i
                  WHERE i.indrelid = %s::regclass
                    AND (SELECT array_agg(a.attname::text ORDER BY k.ord)
                           FROM unnest(i.indkey[0:%s - 1]) WITH ORDINALITY AS k(attnum, ord)
                           JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) = %s::text[])""",
            (rel, len(cols), cols)).fetchone()[0]
        if not found:
            name = f"{table}_{'_'.join(cols)}_idx"
            ddl.append(sql.SQL("CREATE INDEX CONCURRENTLY {} ON {} ({});").format(
                sql.Identifier(name), sql.Identifier(schema, table),
                sql.SQL(", ").join(map(sql.Identifier, cols))).as_string(conn))
    return ddl


def _select_modules(conn, requested, source_schema):
    shipped = all_modules()
    current = installed_modules(conn)
    if requested:
        check_module_names(requested)
        chosen = list(dict.fromkeys(requested))
    else:
        chosen = []
        for name, mod in shipped.items():
            if name == CORE:
                continue
            schema = source_schema or current.get(name) or "public"
            if name in current or (mod.tables and has_source_tables(conn, mod, schema)):
                chosen.append(name)
    # functions and views of every installed module are re-applied too
    names = [n for n in shipped if n == CORE or n in chosen or n in current]
    schemas = {n: (source_schema if (source_schema and n in chosen) else None) or current.get(n) or source_schema or "public"
               for n in names if n != CORE}
    return [shipped[n] for n in names], schemas, chosen


def _check_server(conn):
    if conn.info.server_version < 140000:
        raise UserError(f"PostgreSQL {conn.info.server_version // 10000} is not supported: pgrollup needs 14 or newer")


def _check_privileges(conn):
    row = conn.execute(
        "SELECT pg_catalog.has_database_privilege(current_database(), 'CREATE'), "
        "(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)").fetchone()
    if not row[0] and not row[1]:
        raise UserError(f"permission denied: role {conn.info.user} lacks CREATE on database {conn.info.dbname} "
                        f"(install as the database owner, or GRANT CREATE ON DATABASE {conn.info.dbname} TO {conn.info.user})")


def _check_sources(conn, mods, schemas):
    problems = []
    for mod in mods:
        if mod.name == CORE:
            continue
        schema = schemas[mod.name]
        if not conn.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s)", (schema,)).fetchone()[0]:
            problems.append(f"{mod.name}: source schema {schema} does not exist")
            continue
        problems += [f"{mod.name}: missing {m}" for m in missing_source_objects(conn, mod, schema)]
    if problems:
        raise UserError("cannot install: " + "; ".join(problems))


def _code_statements(mods, schemas) -> list[tuple[str, str]]:
    """(label, sql) of every function and view file, in install order."""
    out = []
    for kind in ("functions", "views"):
        for mod in mods:
            files = mod.function_files() if kind == "functions" else mod.view_files()
            for path in files:
                out.append((f"{kind}/{mod.name}/{path.name}", render(path, schemas.get(mod.name))))
    return out


def with_lock_retries(conn: psycopg.Connection, work, lock_timeout: str, retries: int, what: str,
                      outcome: str = ""):
    """work() in one transaction under lock_timeout, retried with a short back-off when a lock
    cannot be had in time: nobody waits behind us longer than lock_timeout per attempt."""
    attempt = 0
    while True:
        attempt += 1
        try:
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
                return work()
        except psycopg.errors.LockNotAvailable as exc:
            if attempt > retries:
                raise UserError(f"gave up after {attempt} attempts: {what} stayed locked longer than lock_timeout "
                                f"{lock_timeout} ({first_line(exc)}){outcome}; retry when the long transaction ends "
                                f"or raise --lock-timeout") from None
            time.sleep(min(2.0, 0.25 * attempt))


def _apply_code(conn, mods, schemas, lock_timeout: str, retries: int) -> list[str]:
    """Functions, views, source schemas and capture triggers in one transaction, retried when a
    source table's lock cannot be had within lock_timeout."""
    code = _code_statements(mods, schemas)

    def work():
        # objects are created with a search_path nothing can shadow
        conn.execute("SET LOCAL search_path = pg_catalog, pg_temp")
        for label, text in code:
            try:
                conn.execute(text)
            except psycopg.errors.LockNotAvailable:
                raise
            except psycopg.Error as exc:
                raise UserError(f"{label}: {first_line(exc)}") from None
        for mod in mods:
            if mod.name == CORE:
                continue
            conn.execute("UPDATE pgrollup_internal.modules SET source_schema = %s WHERE module = %s",
                         (schemas[mod.name], mod.name))
            conn.execute("SELECT pgrollup_internal.module_call(%s, 'attach')", (mod.name,))
        conn.execute("SELECT pgrollup_internal.refresh_timezone_names()")
        return roles.apply(conn, mods)
    return with_lock_retries(conn, work, lock_timeout, retries, "a source table")


def install(conn: psycopg.Connection, dsn: str, requested=(), source_schema=None, dry_run=False,
            schedule_mode=None, cron_expr=cron.DEFAULT_SCHEDULE, lock_timeout="5s", retries=5) -> InstallResult:
    """Install or upgrade pgrollup. schedule_mode: None (when pg_cron is there), True (required),
    False (never)."""
    _check_server(conn)
    mods, schemas, chosen = _select_modules(conn, list(requested), source_schema)
    result = InstallResult(modules=[m.name for m in mods if m.name != CORE])
    _check_sources(conn, mods, schemas)
    roles.check(conn)
    fresh = not installed_modules(conn) and migrate.applied_ids(conn) is None
    cron_info = cron.detect(conn, dsn) if schedule_mode is not False else None
    if schedule_mode is True and not cron_info.can_schedule:
        raise UserError(f"cannot schedule: {cron_info.reason}; install without --schedule and run "
                        f"'pgrollup refresh' from another scheduler")

    if dry_run:
        result.sql.append("CREATE SCHEMA IF NOT EXISTS pgrollup_internal;")
        for m in migrate.pending(conn, mods):
            result.sql.append(f"-- migration {m.id}")
            result.sql += [s.strip().rstrip(";") + ";" for s in migrate.statements(m)]
        for label, text in _code_statements(mods, schemas):
            result.sql.append(f"-- {label}\n{text.strip()}")
        for mod in mods:
            if mod.name != CORE:
                result.sql.append(f"UPDATE pgrollup_internal.modules SET source_schema = '{schemas[mod.name]}' WHERE module = '{mod.name}';")
                result.sql.append(f"SELECT pgrollup_internal.module_call('{mod.name}', 'attach');")
        result.sql.append("SELECT pgrollup_internal.refresh_timezone_names();")
        create = roles.create_statements(conn, owner=None if roles.can_create_roles(conn) else conn.info.user)
        if create:
            result.sql += ["-- roles of this database (run by a role with CREATEROLE when the installing role may not)"] + create
        result.sql.append("-- grants, re-applied on every install")
        result.sql += [g for g in roles.grant_statements(conn, mods, planned=True) if "FUNCTION pgrollup." not in g]
        reader = roles.quote_ident(roles.role_name(conn.info.dbname, "reader"))
        result.sql += [f"GRANT EXECUTE ON FUNCTION pgrollup.{f}(...) TO {reader};  -- every overload"
                       for m in mods for f in m.reader_functions]
        if cron_info and cron_info.can_schedule:
            result.sql += cron.planned_statements(conn.info.dbname, cron_info, cron_expr,
                                                  any(m.name == cron.APPLY_MODULE for m in mods))
        return result

    _check_privileges(conn)
    try:
        conn.execute("CREATE SCHEMA IF NOT EXISTS pgrollup_internal")
        result.migrations_applied = migrate.apply(dsn, mods)
        result.messages += _apply_code(conn, mods, schemas, lock_timeout, retries)
    except psycopg.errors.InsufficientPrivilege as exc:
        if fresh:
            _drop_everything(conn)
        raise UserError(f"permission denied: {first_line(exc)}") from None
    except (UserError, psycopg.Error) as exc:
        if fresh:
            _drop_everything(conn)   # nothing half-installed
        if isinstance(exc, UserError):
            raise
        raise UserError(f"install failed: {first_line(exc)}") from None

    for mod in mods:
        if mod.name != CORE:
            for ddl in missing_indexes(conn, mod, schemas[mod.name]):
                result.messages.append(f"recommended index for {mod.name} (pgrollup does not create it): {ddl}")

    if cron_info is not None:
        if cron_info.can_schedule:
            ids = cron.schedule(conn, dsn, cron_info, cron_expr)
            for name, jobid in ids.items():
                what = (f"runs pgrollup.run_refresh() at '{cron_expr}'" if name == cron.job_name(conn.info.dbname)
                        else f"applies the {cron.APPLY_MODULE} change log every minute")
                result.messages.append(f"pg_cron job {name} (id {jobid}) {what} (UTC) from database {cron_info.database}")
        else:
            result.messages.append(f"pg_cron not available ({cron_info.reason}): run 'pgrollup refresh' "
                                   f"hourly from another scheduler (cron, systemd timer, Kubernetes CronJob)")
    return result


def _drop_everything(conn: psycopg.Connection) -> None:
    """Remove pgrollup's triggers and schemas (source tables untouched)."""
    for module in installed_modules(conn):
        try:
            conn.execute("SELECT pgrollup_internal.module_call(%s, 'detach')", (module,))
        except psycopg.Error:
            pass
    conn.execute("DROP SCHEMA IF EXISTS pgrollup CASCADE")
    conn.execute("DROP SCHEMA IF EXISTS pgrollup_internal CASCADE")


PGROLLUP_SCHEMAS = ["pgrollup", "pgrollup_internal"]

# Objects outside pgrollup's schemas that depend on an object inside them (views over its views,
# defaults, constraints, indexes, triggers, functions or columns using its functions or types...),
# except pgrollup's own capture triggers; and objects inside its schemas that a role which did not
# install pgrollup owns.
_DEPENDENTS_SQL = """
WITH ours AS (
    SELECT 'pg_catalog.pg_class'::regclass AS classid, c.oid AS objid
      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY(%(schemas)s)
    UNION ALL
    SELECT 'pg_catalog.pg_proc'::regclass, p.oid
      FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
     WHERE n.nspname = ANY(%(schemas)s)
    UNION ALL
    SELECT 'pg_catalog.pg_type'::regclass, t.oid
      FROM pg_catalog.pg_type AS t JOIN pg_catalog.pg_namespace AS n ON n.oid = t.typnamespace
     WHERE n.nspname = ANY(%(schemas)s)
), installers AS (
    -- roles that installed pgrollup: owners of its schemas and of its internal functions
    SELECT n.nspowner AS owner FROM pg_catalog.pg_namespace AS n WHERE n.nspname = ANY(%(schemas)s)
    UNION
    SELECT p.proowner FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
     WHERE n.nspname = 'pgrollup_internal'
), dependents AS (
    SELECT DISTINCT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid
      FROM pg_catalog.pg_depend AS d
      JOIN ours AS o ON o.classid = d.refclassid AND o.objid = d.refobjid
     WHERE d.deptype IN ('n', 'a')
), located AS (
    -- the relation (or namespace) each dependent lives in
    SELECT x.*,
           CASE x.classid
             WHEN 'pg_catalog.pg_rewrite'::regclass THEN (SELECT r.ev_class FROM pg_catalog.pg_rewrite AS r WHERE r.oid = x.objid)
             WHEN 'pg_catalog.pg_attrdef'::regclass THEN (SELECT a.adrelid FROM pg_catalog.pg_attrdef AS a WHERE a.oid = x.objid)
             WHEN 'pg_catalog.pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_catalog.pg_trigger AS g WHERE g.oid = x.objid)
             WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT NULLIF(k.conrelid, 0) FROM pg_catalog.pg_constraint AS k WHERE k.oid = x.objid)
             WHEN 'pg_catalog.pg_policy'::regclass THEN (SELECT p.polrelid FROM pg_catalog.pg_policy AS p WHERE p.oid = x.objid)
             WHEN 'pg_catalog.pg_class'::regclass THEN x.objid
           END AS relid,
           CASE x.classid
             WHEN 'pg_catalog.pg_proc'::regclass THEN (SELECT p.pronamespace FROM pg_catalog.pg_proc AS p WHERE p.oid = x.objid)
             WHEN 'pg_catalog.pg_type'::regclass THEN (SELECT t.typnamespace FROM pg_catalog.pg_type AS t WHERE t.oid = x.objid)
             WHEN 'pg_catalog.pg_constraint'::regclass THEN (SELECT k.connamespace FROM pg_catalog.pg_constraint AS k WHERE k.oid = x.objid)
           END AS nspid
      FROM dependents AS x
)
SELECT CASE WHEN l.classid = 'pg_catalog.pg_rewrite'::regclass
            THEN (CASE c.relkind WHEN 'm' THEN 'materialized view ' ELSE 'view ' END) || l.relid::regclass::text
            ELSE pg_catalog.pg_describe_object(l.classid, l.objid, l.objsubid) END AS dependent,
       pg_catalog.pg_describe_object(l.refclassid, l.refobjid, 0) AS uses
  FROM located AS l
  LEFT JOIN pg_catalog.pg_class AS c ON c.oid = l.relid
  LEFT JOIN pg_catalog.pg_namespace AS rn ON rn.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_namespace AS nn ON nn.oid = l.nspid
 WHERE NOT COALESCE(rn.nspname = ANY(%(schemas)s), false)
   AND NOT COALESCE(nn.nspname = ANY(%(schemas)s), false)
   AND NOT (l.classid = 'pg_catalog.pg_type'::regclass AND l.nspid IS NULL)
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger AS g       -- pgrollup's capture triggers
                    WHERE l.classid = 'pg_catalog.pg_trigger'::regclass AND g.oid = l.objid
                      AND g.tgname LIKE 'pgrollup\\_%%'
                      AND g.tgfoid IN (SELECT p.oid FROM pg_catalog.pg_proc AS p
                                         JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
                                        WHERE n.nspname = 'pgrollup_internal'))
UNION
SELECT pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, c.oid, 0) || ' (owned by ' || c.relowner::regrole::text || ')',
       'schema ' || n.nspname
  FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY(%(schemas)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND c.relowner NOT IN (SELECT i.owner FROM installers AS i)
UNION
SELECT pg_catalog.pg_describe_object('pg_catalog.pg_proc'::regclass, p.oid, 0) || ' (owned by ' || p.proowner::regrole::text || ')',
       'schema ' || n.nspname
  FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
 WHERE n.nspname = ANY(%(schemas)s) AND p.proowner NOT IN (SELECT i.owner FROM installers AS i)
 ORDER BY 1, 2
"""

# pgrollup's triggers on tables outside its schemas (what the modules' detach hooks drop)
_OUR_TRIGGERS_SQL = """
SELECT g.tgname, g.tgrelid::regclass::text
  FROM pg_catalog.pg_trigger AS g
  JOIN pg_catalog.pg_class AS c ON c.oid = g.tgrelid
  JOIN pg_catalog.pg_namespace AS cn ON cn.oid = c.relnamespace
  JOIN pg_catalog.pg_proc AS p ON p.oid = g.tgfoid
  JOIN pg_catalog.pg_namespace AS pn ON pn.oid = p.pronamespace
 WHERE pn.nspname = 'pgrollup_internal' AND cn.nspname <> ALL(%s) AND g.tgname LIKE 'pgrollup\\_%%'
   AND NOT g.tgisinternal
 ORDER BY 2, 1
"""


def application_dependents(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(object, what of pgrollup's it uses) for every application object that dropping pgrollup's
    schemas would drop too."""
    return conn.execute(_DEPENDENTS_SQL, {"schemas": PGROLLUP_SCHEMAS}).fetchall()


def _step(conn: psycopg.Connection, label: str, statement, params=None) -> None:
    """One drop in its own savepoint: its own error is the one reported."""
    try:
        with conn.transaction():
            conn.execute(statement, params)
    except psycopg.errors.LockNotAvailable:
        raise
    except psycopg.errors.InsufficientPrivilege as exc:
        raise UserError(f"permission denied while uninstalling ({label}): {first_line(exc)} "
                        f"(run pgrollup uninstall as the owner of the database and of the source tables)") from None
    except psycopg.Error as exc:
        raise UserError(f"uninstall stopped at {label}: {first_line(exc)}") from None


def _drop_in_transaction(conn: psycopg.Connection) -> None:
    for module in installed_modules(conn):
        try:
            with conn.transaction():
                conn.execute("SELECT pgrollup_internal.module_call(%s, 'detach')", (module,))
        except psycopg.errors.LockNotAvailable:
            raise
        except psycopg.Error:
            pass          # a broken hook: its triggers are dropped from the catalog below
    for tgname, rel in conn.execute(_OUR_TRIGGERS_SQL, (PGROLLUP_SCHEMAS,)).fetchall():
        _step(conn, f"trigger {tgname} on {rel}",
              sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(tgname), sql.SQL(rel)))
    for schema in PGROLLUP_SCHEMAS:
        _step(conn, f"schema {schema}", sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _present_schemas(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname = ANY(%s) ORDER BY 1",
                                       (PGROLLUP_SCHEMAS,)).fetchall()]


def uninstall(conn: psycopg.Connection, dsn: str, drop_roles: bool = False, drop_dependents: bool = False,
              lock_timeout: str = "5s", retries: int = 5, cron_database: str | None = None) -> list[str]:
    """Remove pgrollup from this database: its triggers on source tables, both schemas, its pg_cron
    jobs (and, with drop_roles, this database's roles). Stops, changing nothing, when application
    objects depend on pgrollup unless drop_dependents; never waits longer than lock_timeout for a
    lock (retried); says "nothing to remove" when there is nothing left."""
    messages = []
    present = _present_schemas(conn)
    role_names = roles.registered(conn)
    expected_jobs = cron.expected_jobs(conn)
    dependents = application_dependents(conn) if present else []
    if dependents and not drop_dependents:
        lines = [f"{obj} (uses {uses})" for obj, uses in dependents]
        raise UserError(f"uninstall would also drop {len(lines)} application object(s) that depend on pgrollup; "
                        f"nothing was changed:\n" + "\n".join(lines) +
                        "\nhint: drop or change them first, or run pgrollup uninstall --drop-dependents to drop them "
                        "(and whatever depends on them) with pgrollup")
    if present:
        with_lock_retries(conn, lambda: _drop_in_transaction(conn), lock_timeout, retries, "a table",
                          "; nothing was changed")
        for obj, _ in dependents:
            messages.append(f"dropped dependent {obj}")
        messages.append(f"removed schemas {' and '.join(present)} and every pgrollup trigger")

    removed_jobs = []
    info = cron.detect(conn, dsn, cron_database)
    if info.available:
        removed_jobs = cron.unschedule(conn, dsn, info)
        messages += [f"removed pg_cron job {name}" for name in removed_jobs]
    elif expected_jobs:
        messages.append(f"could not remove pg_cron jobs {', '.join(expected_jobs)} ({info.reason}); in the pg_cron "
                        f"database, their owner or a superuser runs: SELECT cron.unschedule(jobid) FROM cron.job "
                        f"WHERE jobname IN ({', '.join(repr(j) for j in expected_jobs)});")
    if drop_roles:
        messages += roles.drop(conn, role_names)
    if not present and not removed_jobs and not any(m.startswith("dropped role") for m in messages):
        messages.insert(0, f"nothing to remove: pgrollup is not installed in {conn.info.dbname}")
    return messages

"""install / uninstall: the steps behind ``pgrollup install`` and ``pgrollup uninstall``."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from . import migrate, roles, schedule as cron
from .connection import first_line
from .errors import UserError
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


def _apply_code(conn, mods, schemas, lock_timeout: str, retries: int) -> list[str]:
    """Functions, views, source schemas and capture triggers in one transaction, retried when a
    source table's lock cannot be had within lock_timeout."""
    code = _code_statements(mods, schemas)
    attempt = 0
    while True:
        attempt += 1
        try:
            with conn.transaction():
                conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(sql.Literal(lock_timeout)))
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
        except psycopg.errors.LockNotAvailable as exc:
            if attempt > retries:
                raise UserError(f"gave up after {attempt} attempts: a source table stayed locked longer than "
                                f"lock_timeout {lock_timeout} ({first_line(exc)}); retry when the long transaction ends "
                                f"or raise --lock-timeout") from None
            time.sleep(min(2.0, 0.25 * attempt))


def install(conn: psycopg.Connection, dsn: str, requested=(), source_schema=None, dry_run=False,
            schedule_mode=None, cron_expr=cron.DEFAULT_SCHEDULE, lock_timeout="5s", retries=5) -> InstallResult:
    """Install or upgrade pgrollup. schedule_mode: None (when pg_cron is there), True (required),
    False (never)."""
    _check_server(conn)
    mods, schemas, chosen = _select_modules(conn, list(requested), source_schema)
    result = InstallResult(modules=[m.name for m in mods if m.name != CORE])
    _check_sources(conn, mods, schemas)
    fresh = not installed_modules(conn) and migrate.applied_ids(conn) is None
    cron_info = cron.detect(conn, dsn) if schedule_mode is not False else None
    if schedule_mode is True and not cron_info.available:
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
        if roles.existing(conn) != {roles.READER, roles.ADMIN}:
            result.sql += ["-- roles (when the installing role may create them)"] + roles.create_statements()
        result.sql.append("-- grants, re-applied on every install")
        result.sql += [g for g in roles.grant_statements(conn, mods, planned=True) if "FUNCTION pgrollup." not in g]
        result.sql += [f"GRANT EXECUTE ON FUNCTION pgrollup.{f}(...) TO {roles.READER};  -- every overload"
                       for m in mods for f in m.reader_functions]
        if cron_info and cron_info.available:
            fn, extra = ("cron.schedule", "") if cron_info.same_database else \
                ("cron.schedule_in_database", f", '{conn.info.dbname}'")
            result.sql.append(f"-- in database {cron_info.database}\nSELECT {fn}('{cron.job_name(conn.info.dbname)}', "
                              f"'{cron_expr}', '{cron.COMMAND}'{extra});")
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
    # partitions install could not put capture triggers on (busy, or no TRIGGER privilege): the
    # next refresh retries; rollup_health reports them until then
    for module, finding in conn.execute(
            "SELECT m.module, f.v FROM pgrollup_internal.modules AS m "
            "CROSS JOIN LATERAL pgrollup_internal.module_health(m.module) AS h "
            "CROSS JOIN LATERAL pg_catalog.unnest(pgrollup_internal.capture_problems(m.module, h.mode)) AS f(v) "
            "WHERE f.v LIKE 'critical:capture triggers missing on %' ORDER BY 1, 2").fetchall():
        result.messages.append(f"{module}: {finding.split(':', 1)[1]}")

    if cron_info is not None:
        if cron_info.available:
            jobid = cron.schedule(conn, dsn, cron_info, cron_expr)
            result.messages.append(f"pg_cron job {cron.job_name(conn.info.dbname)} (id {jobid}) runs pgrollup.refresh() "
                                   f"at '{cron_expr}' (UTC) from database {cron_info.database}")
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


def uninstall(conn: psycopg.Connection, dsn: str, drop_roles: bool = False) -> list[str]:
    messages = []
    info = cron.detect(conn, dsn)
    if info.available:
        n = cron.unschedule(conn, dsn, info)
        if n:
            messages.append(f"removed pg_cron job {cron.job_name(conn.info.dbname)}")
    try:
        with conn.transaction():
            _drop_everything(conn)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise UserError(f"permission denied: {first_line(exc)}") from None
    messages.append("removed schemas pgrollup and pgrollup_internal and every pgrollup trigger")
    if drop_roles:
        messages += roles.drop(conn)
    return messages

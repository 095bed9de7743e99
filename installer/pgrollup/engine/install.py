"""install / uninstall: the steps behind ``pgrollup install`` and ``pgrollup uninstall``."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from . import migrate, roles, schedule as cron
from .connection import first_line
from .cronexpr import check_cron, check_lock_timeout, check_retries
from ..errors import UserError
from .sqlfiles import CORE, Module, check_module_names, modules as all_modules, render


@dataclass
class InstallResult:
    modules: list[str]
    migrations_applied: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    sql: list[str] = field(default_factory=list)     # dry run: what would run
    summary: list[str] = field(default_factory=list)  # dry run: job, indexes, roles (before the SQL)
    skipped: dict[str, str] = field(default_factory=dict)   # module -> why not installed, with the fix
    next_steps: list[str] = field(default_factory=list)
    first_refresh: list[tuple] = field(default_factory=list)  # (module, status, changes, seconds)


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


def _schema_exists(conn, schema: str) -> bool:
    return conn.execute("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s)",
                        (schema,)).fetchone()[0]


def _any_source_table(conn, module: Module, schema: str) -> bool:
    return any(conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL",
                            (sql.Identifier(schema, t).as_string(conn),)).fetchone()[0]
               for t in module.tables)


def _others_hint(name: str, complete: list[str]) -> str:
    if complete:
        return "; install the other modules with " + " ".join(f"--module {m}" for m in complete)
    return ""


def _select_modules(conn, requested, source_schema):
    """(modules to apply, {module: source schema}, modules chosen this run, {module: why skipped}).

    Without --module: every module whose source tables are complete; a module whose tables exist
    only in part, or lack a column it reads, is skipped and named with the fix while the others
    install. With --module, or for a module already installed, incomplete sources stop the
    install before anything changes."""
    shipped = all_modules()
    current = installed_modules(conn)
    if source_schema is not None and not _schema_exists(conn, source_schema):
        raise UserError(f"source schema {source_schema} does not exist in database {conn.info.dbname} "
                        f"(--source-schema names the schema of the application's tables)")

    def schema_of(name, chosen_now=True):
        # --source-schema applies to the modules installed by this run; the others keep theirs
        if chosen_now:
            return source_schema or current.get(name) or "public"
        return current.get(name) or source_schema or "public"

    def problems_of(name, schema):
        if not _schema_exists(conn, schema):
            return [f"source schema {schema} does not exist"]
        return missing_source_objects(conn, shipped[name], schema)

    optional = [n for n in shipped if n != CORE]
    problems = {n: problems_of(n, schema_of(n)) for n in optional}      # as if installed by this run
    if requested:
        check_module_names(requested)
        chosen = list(dict.fromkeys(requested))
    else:
        chosen = [n for n in optional if n in current or not problems[n]]
    for n in optional:
        if n not in chosen and n in current:
            problems[n] = problems_of(n, schema_of(n, chosen_now=False))
    complete = [n for n in optional if not problems[n]]
    errors = []
    for name in [n for n in optional if n in chosen or n in current]:
        if problems[name]:
            what = "is installed but its sources are incomplete" if name in current and name not in requested \
                else "cannot be installed"
            errors.append(f"{name} {what}: missing {', '.join(problems[name])}"
                          + _others_hint(name, [m for m in complete if m != name]))
    if errors:
        raise UserError("; ".join(errors) + " (nothing was changed)")
    skipped = {}
    for name in optional:
        if name in chosen or name in current:
            continue
        schema = schema_of(name)
        if _schema_exists(conn, schema) and _any_source_table(conn, shipped[name], schema):
            skipped[name] = (f"{name} not installed: its source tables in {schema} are incomplete, missing "
                             f"{', '.join(problems[name])}; add them and run 'pgrollup install --module {name}'")
    # functions and views of every installed module are re-applied too
    names = [n for n in shipped if n == CORE or n in chosen or n in current]
    schemas = {n: schema_of(n, n in chosen) for n in names if n != CORE}
    return [shipped[n] for n in names], schemas, chosen, skipped


def _check_server(conn):
    if conn.info.server_version < 140000:
        raise UserError(f"PostgreSQL {conn.info.server_version // 10000} is not supported: pgrollup needs 14 or newer")


def database_owner(conn) -> str:
    return conn.execute("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database "
                        "WHERE datname = current_database()").fetchone()[0]


def permission_hint(conn, mods=(), schemas=None) -> str:
    """Which role to connect as: the owner of pgrollup's schemas when installed, else the owner of
    the database, and the owner of the source tables when that is another role."""
    schemas = schemas or {}
    owners = []
    row = conn.execute("SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace "
                       "WHERE nspname = 'pgrollup_internal'").fetchone()
    owners.append(f"the role that installed pgrollup here ({row[0]})" if row
                  else f"the owner of database {conn.info.dbname} ({database_owner(conn)})")
    table_owners = set()
    for mod in mods:
        if mod.name == CORE or mod.name not in schemas:
            continue
        for table in mod.tables:
            r = conn.execute("SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c "
                             "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                             "WHERE n.nspname = %s AND c.relname = %s", (schemas[mod.name], table)).fetchone()
            if r:
                table_owners.add(r[0])
    table_owners -= {row[0] if row else database_owner(conn)}
    if table_owners:
        owners.append(f"the owner of the source tables ({', '.join(sorted(table_owners))})")
    return "connect as " + " or ".join(owners) + f", not {conn.info.user}"


def _check_installer(conn):
    """An existing install belongs to the role that made it: another role is refused up front."""
    row = conn.execute("SELECT pg_catalog.pg_get_userbyid(nspowner), "
                       "pg_catalog.pg_has_role(current_user, nspowner, 'MEMBER') OR "
                       "(SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) "
                       "FROM pg_catalog.pg_namespace WHERE nspname = 'pgrollup_internal'").fetchone()
    if row and not row[1]:
        raise UserError(f"permission denied: pgrollup in database {conn.info.dbname} belongs to role {row[0]}: "
                        f"connect as {row[0]} to install or upgrade it (role {conn.info.user} may not replace its objects)")


def _check_privileges(conn, mods, schemas):
    """Everything install needs from the connected role, checked before anything changes."""
    user = conn.info.user
    superuser = conn.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()[0]
    if superuser:
        return
    row = conn.execute("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'pgrollup_internal'").fetchone()
    if not row and not conn.execute("SELECT pg_catalog.has_database_privilege(current_database(), 'CREATE')").fetchone()[0]:
        raise UserError(f"permission denied: role {user} may not create schemas in database {conn.info.dbname}: "
                        f"{permission_hint(conn)} (or GRANT CREATE ON DATABASE {conn.info.dbname} TO {user})")
    for mod in mods:
        if mod.name == CORE:
            continue
        schema = schemas[mod.name]
        for table in mod.tables:
            rel = sql.Identifier(schema, table).as_string(conn)
            r = conn.execute("SELECT pg_catalog.has_table_privilege(%s, 'SELECT'), pg_catalog.has_table_privilege(%s, 'TRIGGER'), "
                             "pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c WHERE c.oid = %s::regclass",
                             (rel, rel, rel)).fetchone()
            if not (r[0] and r[1]):
                raise UserError(f"permission denied: role {user} may not read {schema}.{table} or create its capture triggers: "
                                f"connect as its owner ({r[2]}), or GRANT SELECT, TRIGGER ON {rel} TO {user}")


# source tables Citus may distribute, per module: the table and its distribution column, for which
# the module has a Citus layout (colocated distributed tables, capture on the shards; docs/SCALE-OUT.md)
CITUS_LAYOUTS = {"reporting": {"reporting_events": "account_id"},
                 "messaging": {"outbound_messages": "tenant_id", "message_events": "tenant_id",
                               "campaign_transitions": "tenant_id"}}


def _on_citus(conn) -> bool:
    return conn.execute("SELECT pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL").fetchone()[0]


def _follows_layout(rows, column: str | None) -> bool:
    """Citus holds the table (not partitioned) hash-distributed by the module's layout column."""
    return column is not None and len(rows) == 1 and rows[0][1:] == ("h", column, True)


def _citus_layouts(conn, mods, schemas) -> list[str]:
    """The modules whose source tables Citus distributes as their Citus layout expects (what
    install then does, for --dry-run)."""
    if not _on_citus(conn):
        return []
    out = []
    for mod in mods:
        layout = CITUS_LAYOUTS.get(mod.name, {})
        held = [_citus_holding(conn, schemas[mod.name], table) for table in layout]
        if layout and all(_follows_layout(rows, column) for rows, column in zip(held, layout.values())):
            column = next(iter(layout.values()))
            names = " and ".join(rows[0][0] for rows in held)
            verb = "is" if len(held) == 1 else "are"
            out.append(f"citus: {mod.name}: {names} {verb} distributed by {column}: "
                       f"{mod.name}'s per-{column.removesuffix('_id')} tables become distributed tables colocated "
                       f"with {'it' if len(held) == 1 else 'them'} (its {column} type), its settings reference tables; "
                       f"capture is by statement-level triggers that fire on the shards and the refresh runs on each "
                       f"worker (docs/SCALE-OUT.md)")
    return out


def _citus_holding(conn, schema, table):
    """(relation, partmethod, distribution column, is the table itself) of the table and of its
    partitions that Citus holds."""
    return conn.execute(
        "WITH r AS (SELECT pg_catalog.to_regclass(pg_catalog.format('%%I.%%I', %s::text, %s::text)) AS rel) "
        "SELECT d.logicalrelid::regclass::text, d.partmethod::text, "
        "       pg_catalog.column_to_column_name(d.logicalrelid, d.partkey), d.logicalrelid = r.rel "
        "  FROM r, pg_catalog.pg_dist_partition AS d "
        " WHERE d.logicalrelid = r.rel "
        "    OR d.logicalrelid IN (SELECT t.relid FROM pg_catalog.pg_partition_tree(r.rel) AS t) "
        " ORDER BY 1",
        (schema, table)).fetchall()


def _messaging_citus_problems(conn, mod, schemas) -> list[str]:
    """Messaging follows its sources onto Citus only when all three are distributed by a bigint
    tenant_id, colocated (its refresh joins them on each shard group), or none is."""
    if mod.name != "messaging":
        return []
    layout = CITUS_LAYOUTS["messaging"]
    held = {table: _citus_holding(conn, schemas[mod.name], table) for table in layout}
    following = [t for t, rows in held.items() if _follows_layout(rows, layout[t])]
    if not following:
        return []
    if len(following) < len(layout):
        local = ", ".join(t for t in layout if t not in following)
        return [f"messaging: {local} must be distributed by tenant_id too, colocated with {following[0]}"]
    rows = conn.execute(
        "SELECT pg_catalog.count(DISTINCT d.colocationid), "
        "       pg_catalog.bool_and(pg_catalog.format_type(a.atttypid, NULL) = 'bigint') "
        "  FROM pg_catalog.pg_dist_partition AS d "
        "  JOIN pg_catalog.pg_attribute AS a ON a.attrelid = d.logicalrelid AND a.attname = 'tenant_id' "
        " WHERE d.logicalrelid = ANY(%s::regclass[])",
        ([held[t][0][0] for t in layout],)).fetchone()
    out = []
    if rows[0] != 1:
        out.append("messaging: outbound_messages, message_events and campaign_transitions must be colocated "
                   "(create_distributed_table(..., colocate_with => ...))")
    if not rows[1]:
        out.append("messaging: tenant_id must be bigint in outbound_messages, message_events and campaign_transitions")
    return out


def _check_citus(conn, mods, schemas):
    """On a Citus coordinator, refuse source tables that Citus distributes or replicates (or whose
    partitions it does) unless the module has a Citus layout for exactly that: pgrollup's capture
    is otherwise statement-level triggers with transition tables, which Citus refuses on
    distributed tables, or (with citus.enable_unsafe_triggers) runs on the workers where
    pgrollup's tables do not exist. Checked before anything changes, whatever the session's Citus
    settings."""
    if not _on_citus(conn):
        return
    problems = []
    for mod in mods:
        if mod.name == CORE:
            continue
        for table in mod.tables:
            rows = _citus_holding(conn, schemas[mod.name], table)
            if _follows_layout(rows, CITUS_LAYOUTS.get(mod.name, {}).get(table)):
                continue
            for rel, method, column, _root in rows:
                kind = {"h": f"a distributed table (by {column})", "n": "a reference table"}.get(method, "a Citus table")
                problems.append(f"{mod.name}: {rel} is {kind}")
        problems += _messaging_citus_problems(conn, mod, schemas)
    if problems:
        supported = ", ".join(f"{table} distributed by {column}" for layouts in CITUS_LAYOUTS.values()
                              for table, column in layouts.items())
        raise UserError("cannot install on Citus: " + "; ".join(problems) + f": pgrollup captures on Citus only "
                        f"{supported} (a plain table, not partitioned); install the other modules with --module, or "
                        f"keep the source tables local; nothing was changed")


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
            except (psycopg.errors.LockNotAvailable, psycopg.errors.InsufficientPrivilege):
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


def _cron_summary(conn, cron_info, cron_expr, schedule_mode, mods) -> list[str]:
    """What install would do about the pg_cron jobs (dry run)."""
    if schedule_mode is False:
        return ["pg_cron job: none (--no-schedule): run 'pgrollup refresh' from another scheduler"]
    if not cron_info.can_schedule:
        return [f"pg_cron job: none, pg_cron cannot be used ({cron_info.reason}): run 'pgrollup refresh' "
                f"from another scheduler"]
    where = (f"registered in database {cron_info.database}" if cron_info.same_database
             else f"registered from the pg_cron database {cron_info.database}, runs in database {conn.info.dbname}")
    return [f"pg_cron job: {name}, schedule '{expr}' (UTC), command: {command}; {where}"
            for name, expr, command in cron.planned_jobs(conn.info.dbname, cron_expr,
                                                         any(m.name == cron.APPLY_MODULE for m in mods))]


def _role_summary(conn, mods) -> list[str]:
    names = [roles.role_name(conn.info.dbname, k) for k in roles.KINDS]
    may = roles.can_create_roles(conn)
    needed = roles.create_statements(conn, owner=None if may else conn.info.user)
    if not needed:
        return [f"roles: {', '.join(names)} exist; install re-applies their grants"]
    if may:
        return [f"roles: install creates them (role {conn.info.user} may):"] + ["  " + st for st in needed]
    return [f"roles: role {conn.info.user} may not create roles; a role with CREATEROLE must first run:"] + \
        ["  " + st for st in needed]


def _dry_run(conn, result, mods, schemas, cron_info, cron_expr, schedule_mode, first_refresh):
    summary = result.summary
    summary.append(f"database {conn.info.dbname}: modules " + (", ".join(
        f"{m.name} (source schema {schemas[m.name]})" for m in mods if m.name != CORE) or "none (core only)"))
    summary += list(result.skipped.values())
    summary += _cron_summary(conn, cron_info, cron_expr, schedule_mode, mods)
    ddl = [d for m in mods if m.name != CORE for d in missing_indexes(conn, m, schemas[m.name])]
    if ddl:
        summary.append("recommended source indexes (pgrollup never creates them; the application adds them):")
        summary += ["  " + d for d in ddl]
    else:
        summary.append("recommended source indexes: none missing")
    summary += _role_summary(conn, mods)
    summary += _citus_layouts(conn, mods, schemas)
    if first_refresh and any(m.name == "messaging" for m in mods):
        summary.append("first refresh: install runs pgrollup.refresh('messaging') at the end "
                       "(when messaging has never been refreshed)")

    result.sql.append("CREATE SCHEMA IF NOT EXISTS pgrollup_internal;")
    for m in migrate.pending(conn, mods):
        result.sql.append(f"-- migration {m.id}")
        result.sql += [s.strip().rstrip(";") + ";" for s in migrate.statements(m)]
    for label, text in _code_statements(mods, schemas):
        result.sql.append(f"-- {label}\n{text.strip()}")
    for mod in mods:
        if mod.name != CORE:
            result.sql.append(sql.SQL("UPDATE pgrollup_internal.modules SET source_schema = {} WHERE module = {};").format(
                sql.Literal(schemas[mod.name]), sql.Literal(mod.name)).as_string(conn))
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
    if first_refresh and any(m.name == "messaging" for m in mods):
        result.sql.append("SELECT * FROM pgrollup.refresh('messaging');")
    return result


def _first_refresh(conn, result, say) -> None:
    """messaging's views stay empty until its first refresh (up to an hour with the default
    schedule): run it now, once, when messaging has never been refreshed successfully."""
    if "messaging" not in installed_modules(conn):
        return
    if conn.execute("SELECT EXISTS (SELECT 1 FROM pgrollup.refresh_runs WHERE module = 'messaging' AND status = 'ok')").fetchone()[0]:
        return
    schema = installed_modules(conn)["messaging"]
    approx = conn.execute("SELECT pg_catalog.sum(GREATEST(c.reltuples, 0))::bigint FROM pg_catalog.pg_class c "
                          "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                          "WHERE n.nspname = %s AND c.relname IN ('outbound_messages', 'message_events')",
                          (schema,)).fetchone()[0]
    if say:
        say(f"first refresh of messaging: building its rollups from the source tables"
            + (f" (about {approx:,} rows; this can take a while)" if approx and approx > 100_000 else "") + " ...")
    t0 = time.perf_counter()
    try:
        rows = conn.execute("SELECT module, status, changes_applied FROM pgrollup.refresh('messaging')").fetchall()
    except psycopg.Error as exc:          # cancelled (statement_timeout, ...): install itself is done
        rows = [("messaging", f"failed ({first_line(exc)})", 0)]
    took = time.perf_counter() - t0
    for module, status, changes in rows:
        if status == "failed":
            err = conn.execute("SELECT error FROM pgrollup.refresh_runs WHERE module = %s ORDER BY run_id DESC LIMIT 1",
                               (module,)).fetchone()
            status = f"failed ({err[0] if err else 'unknown error'})"
        result.first_refresh.append((module, status, changes, took))


def _next_steps(conn, result, cron_line) -> None:
    steps = result.next_steps
    mods = installed_modules(conn)
    if "reporting" in mods:
        n = conn.execute("SELECT count(*) FROM pgrollup_internal.reporting_accounts WHERE timezone IS NOT NULL").fetchone()[0]
        if n == 0:
            steps.append("reporting: no account has a reporting timezone, so nothing is rolled up yet: "
                         "set each account's zone with 'pgrollup timezone --account ID ZONE' "
                         "(this builds its history)")
        else:
            steps.append(f"reporting: {n} account{'s' if n != 1 else ''} with a timezone; others are not rolled up "
                         f"until 'pgrollup timezone --account ID ZONE'")
    if "messaging" in mods:
        n = conn.execute("SELECT count(*) FROM pgrollup_internal.msg_tenants").fetchone()[0]
        steps.append("messaging: tenants report in UTC until given a zone with 'pgrollup timezone --tenant ID ZONE' "
                     "(restated at the next refresh)" + (f"; {n} tenant{'s' if n != 1 else ''} already have one" if n else ""))
        for module, status, changes, took in result.first_refresh:
            if status == "ok":
                steps.append(f"messaging: first refresh done in {took:.1f}s; its views are current")
            else:
                steps.append(f"messaging: first refresh {status} after {took:.1f}s: see pgrollup.refresh_runs "
                             f"and 'pgrollup status'; the next scheduled or manual refresh retries it")
        if not result.first_refresh and not conn.execute(
                "SELECT EXISTS (SELECT 1 FROM pgrollup.refresh_runs WHERE module = 'messaging' AND status = 'ok')").fetchone()[0]:
            steps.append("messaging: not refreshed yet, its views stay empty until the first refresh: "
                         "run 'pgrollup refresh --module messaging' (or wait for the scheduled job)")
    if mods:
        steps.append(cron_line)


def _remembered_schedule(conn) -> str | None:
    """The refresh job's schedule recorded by the last install or pgrollup schedule, if any."""
    if not conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.settings') IS NOT NULL").fetchone()[0]:
        return None
    row = conn.execute("SELECT value FROM pgrollup_internal.settings WHERE name = 'cron_schedule'").fetchone()
    return row[0] if row and row[0] else None


def install(conn: psycopg.Connection, dsn: str, requested=(), source_schema=None, dry_run=False,
            schedule_mode=None, cron_expr=cron.DEFAULT_SCHEDULE, lock_timeout="5s", retries=5,
            first_refresh=False, say=None) -> InstallResult:
    """Install or upgrade pgrollup. schedule_mode: None (when pg_cron is there), True (required),
    False (never). Every option and every precondition is checked before anything changes.
    first_refresh: run messaging's first refresh when it has never had one (the CLI and the demo
    do; callers that refresh themselves need not). say: optional callable for progress lines
    printed while install runs (the first refresh)."""
    if schedule_mode is not False:
        cron_expr = check_cron(cron_expr)
    if schedule_mode is None:
        # no schedule asked for: an upgrade keeps the one set earlier (pgrollup schedule --cron)
        cron_expr = _remembered_schedule(conn) or cron_expr
    lock_timeout = check_lock_timeout(lock_timeout)
    retries = check_retries(retries)
    _check_server(conn)
    _check_installer(conn)
    mods, schemas, chosen, skipped = _select_modules(conn, list(requested), source_schema)
    result = InstallResult(modules=[m.name for m in mods if m.name != CORE], skipped=skipped)
    _check_citus(conn, mods, schemas)
    roles.check(conn)
    fresh = not installed_modules(conn) and migrate.applied_ids(conn) is None
    cron_info = cron.detect(conn, dsn) if schedule_mode is not False else None
    if schedule_mode is True and not cron_info.can_schedule:
        raise UserError(f"cannot schedule: {cron_info.reason}; install without --schedule and run "
                        f"'pgrollup refresh' from another scheduler")

    if dry_run:
        return _dry_run(conn, result, mods, schemas, cron_info, cron_expr, schedule_mode, first_refresh)

    _check_privileges(conn, mods, schemas)
    try:
        conn.execute("CREATE SCHEMA IF NOT EXISTS pgrollup_internal")
        result.migrations_applied = migrate.apply(dsn, mods)
        result.messages += _apply_code(conn, mods, schemas, lock_timeout, retries)
    except psycopg.errors.InsufficientPrivilege as exc:
        if fresh:
            _drop_everything(conn)
        raise UserError(f"{first_line(exc)}: {permission_hint(conn, mods, schemas)}") from None
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

    cron_line = "refresh: no pg_cron job (--no-schedule): run 'pgrollup refresh' regularly from another scheduler"
    if cron_info is not None:
        if cron_info.can_schedule:
            ids = cron.schedule(conn, dsn, cron_info, cron_expr)
            for name, jobid in ids.items():
                what = (f"runs pgrollup.run_refresh() at '{cron_expr}'" if name == cron.job_name(conn.info.dbname)
                        else f"applies the {cron.APPLY_MODULE} change log every minute")
                result.messages.append(f"pg_cron job {name} (id {jobid}) {what} (UTC) from database {cron_info.database}")
            cron_line = f"refresh: scheduled with pg_cron at '{cron_expr}' (UTC); 'pgrollup status' shows health"
        else:
            result.messages.append(f"pg_cron cannot be used ({cron_info.reason}): run 'pgrollup refresh' "
                                   f"hourly from another scheduler (cron, systemd timer, Kubernetes CronJob)")
            cron_line = "refresh: not scheduled: run 'pgrollup refresh' regularly from another scheduler"
    if first_refresh:
        _first_refresh(conn, result, say)
    _next_steps(conn, result, cron_line)
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
    if conn.execute("SELECT pg_catalog.current_setting('citus.enable_unsafe_triggers', true) IS NOT NULL").fetchone()[0]:
        # Citus refuses DROP TRIGGER on a distributed table (a source the application distributed
        # after install) unless this is on; with it, the drop reaches every shard, one shard
        # connection at a time so that the schema drops can follow in the same transaction
        try:
            with conn.transaction():
                conn.execute("SELECT pg_catalog.set_config('citus.enable_unsafe_triggers', 'on', true), "
                             "pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true)")
        except psycopg.Error:
            pass          # not settable by this role: a distributed source's trigger drop reports it
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
                        f"nothing was changed",
                        details=lines + ["hint: drop or change them first, or run pgrollup uninstall --drop-dependents "
                                         "to drop them (and whatever depends on them) with pgrollup"])
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

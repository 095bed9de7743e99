"""The two roles pgrollup sets up: pgrollup_reader (BI tools) and pgrollup_admin (operators).

- pgrollup_reader: USAGE on schema pgrollup, SELECT on its views and tables, EXECUTE on the read
  functions. Nothing else: no settings, no refresh, no backfill, nothing in pgrollup_internal.
- pgrollup_admin: everything the reader has, EXECUTE on every pgrollup function (settings,
  refresh, backfill, modes) and write access to the settings tables (alert thresholds, registries).

Roles are cluster-wide. When the installing role may not create roles, install prints the exact
statements for a privileged role to run.
"""
from __future__ import annotations

import psycopg
from psycopg import sql

from .sqlfiles import Module

READER = "pgrollup_reader"
ADMIN = "pgrollup_admin"


def can_create_roles(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT rolsuper OR rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()[0]


def existing(conn: psycopg.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = ANY(%s)",
                                       ([READER, ADMIN],)).fetchall()}


def create_statements() -> list[str]:
    return [f"CREATE ROLE {READER} NOLOGIN;", f"CREATE ROLE {ADMIN} NOLOGIN;", f"GRANT {READER} TO {ADMIN};"]


def grant_statements(conn: psycopg.Connection, mods: list[Module], planned: bool = False) -> list[str]:
    """GRANTs for the objects that exist now (run after functions and views are created)."""
    reader_fns = {f for m in mods for f in m.reader_functions}
    admin_tables = [t for m in mods for t in m.admin_tables]
    out = [f"REVOKE ALL ON SCHEMA pgrollup_internal FROM {READER}, {ADMIN};",
           f"GRANT USAGE ON SCHEMA pgrollup TO {READER}, {ADMIN};",
           f"GRANT SELECT ON ALL TABLES IN SCHEMA pgrollup TO {READER};",
           f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pgrollup TO {ADMIN};"]
    for (sig,) in conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p "
            "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'pgrollup' AND p.proname = ANY(%s) ORDER BY 1", (sorted(reader_fns),)).fetchall():
        out.append(f"GRANT EXECUTE ON FUNCTION {sig} TO {READER};")
    for table in admin_tables:
        if planned or conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (f"pgrollup.{table}",)).fetchone()[0]:
            out.append(sql.SQL("GRANT INSERT, UPDATE, DELETE ON {} TO {};").format(
                sql.Identifier("pgrollup", table), sql.Identifier(ADMIN)).as_string(conn))
    return out


def apply(conn: psycopg.Connection, mods: list[Module]) -> list[str]:
    """Create the roles when allowed and grant; returns messages for the user (inside the
    caller's transaction)."""
    have = existing(conn)
    messages = []
    if have != {READER, ADMIN}:
        if can_create_roles(conn):
            for stmt in create_statements():
                role = stmt.split()[2]
                if stmt.startswith("CREATE") and role in have:
                    continue
                conn.execute(stmt)
            messages.append(f"created roles {READER} (BI tools: GRANT {READER} TO <bi user>) and {ADMIN}")
        else:
            stmts = create_statements() + grant_statements(conn, mods)
            messages.append(f"roles {READER} and {ADMIN} do not exist and {conn.info.user} may not create them; "
                            f"a role with CREATEROLE can run: " + " ".join(stmts) + " (then run pgrollup install again)")
            return messages
    for stmt in grant_statements(conn, mods):
        conn.execute(stmt)
    return messages


def drop(conn: psycopg.Connection) -> list[str]:
    """Drop the roles (only when no other database still grants them anything)."""
    messages = []
    for role in (ADMIN, READER):
        if role not in existing(conn):
            continue
        try:
            with conn.transaction():
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
            messages.append(f"dropped role {role}")
        except psycopg.Error as exc:
            messages.append(f"kept role {role}: {str(exc).splitlines()[0]}")
    return messages

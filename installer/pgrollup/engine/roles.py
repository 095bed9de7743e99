"""The two roles of each database: its reader (BI tools) and its admin (operators).

Roles are cluster-wide but grants are per database, so each database gets its own pair,
``pgrollup_<database>_reader`` and ``pgrollup_<database>_admin`` (truncated with a short hash to
PostgreSQL's 63 bytes), marked with ``COMMENT ON ROLE ... IS 'pgrollup <kind> role of database
<database>'`` and recorded in ``pgrollup_internal.access_roles`` (shown by ``pgrollup.access_roles``).
Membership granted for one database gives nothing in another.

- reader: USAGE on schema pgrollup, SELECT on its views and tables, EXECUTE on the read functions.
  Nothing else: no settings, no refresh, no backfill, nothing in pgrollup_internal.
- admin: everything the reader has, EXECUTE on every pgrollup function (settings, refresh,
  backfill, modes) and write access to the settings tables (alert thresholds, registries).

A role of that name without pgrollup's marker for this database is never trusted: install stops
and says how to fix it. When the installing role may not create roles, install prints the exact
statements, one per line, for a role with CREATEROLE to run.

Earlier versions used two roles shared by every database, ``pgrollup_reader`` and
``pgrollup_admin``: an install over such a database revokes their grants in this database, gives
their members this database's roles (or prints the statements) and says so.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import psycopg
from psycopg import sql

from .schedule import quote_ident
from .sqlfiles import Module
from ..errors import UserError

KINDS = ("reader", "admin")
LEGACY = {"reader": "pgrollup_reader", "admin": "pgrollup_admin"}
MAX_IDENT = 63


def role_name(dbname: str, kind: str) -> str:
    """pgrollup_<dbname>_<kind>, shortened to 63 bytes with a hash of the full name when needed."""
    name = f"pgrollup_{dbname}_{kind}"
    if len(name.encode()) <= MAX_IDENT:
        return name
    suffix = f"_{hashlib.md5(dbname.encode()).hexdigest()[:8]}_{kind}"
    budget = MAX_IDENT - len("pgrollup_") - len(suffix)
    short = dbname.encode()[:budget].decode(errors="ignore")   # never cut a character in half
    return f"pgrollup_{short}{suffix}"


def marker(dbname: str, kind: str) -> str:
    return f"pgrollup {kind} role of database {dbname}"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass
class Role:
    kind: str
    name: str
    exists: bool
    comment: str | None

    @property
    def q(self) -> str:
        return quote_ident(self.name)


def inspect(conn: psycopg.Connection) -> dict[str, Role]:
    db = conn.info.dbname
    out = {}
    for kind in KINDS:
        name = role_name(db, kind)
        row = conn.execute("SELECT pg_catalog.shobj_description(oid, 'pg_authid') FROM pg_catalog.pg_roles "
                           "WHERE rolname = %s", (name,)).fetchone()
        out[kind] = Role(kind, name, row is not None, row[0] if row else None)
    return out


def check(conn: psycopg.Connection) -> dict[str, Role]:
    """Stop when a role of this database's name exists without pgrollup's marker for it."""
    db = conn.info.dbname
    found = inspect(conn)
    for kind, role in found.items():
        if role.exists and role.comment != marker(db, kind):
            raise UserError(
                f"role {role.name} exists but pgrollup did not create it for database {db} (its comment is "
                f"{_literal(role.comment) if role.comment else 'empty'}), so it is not trusted: drop or rename it, or, "
                f"if it is meant to be this database's pgrollup {kind} role, mark it: "
                f"COMMENT ON ROLE {role.q} IS {_literal(marker(db, kind))}; then run pgrollup install again")
    return found


def can_create_roles(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT rolsuper OR rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()[0]


def create_statements(conn: psycopg.Connection, found: dict[str, Role] | None = None, owner: str | None = None) -> list[str]:
    """The statements that create the missing roles of this database (one per line; only those
    needed). With ``owner``, also the membership with ADMIN OPTION that lets the owner hand the
    roles out (GRANT <role> TO <user>)."""
    db = conn.info.dbname
    found = found or inspect(conn)
    out = []
    for kind in KINDS:
        role = found[kind]
        if not role.exists:
            out.append(f"CREATE ROLE {role.q} NOLOGIN;")
            out.append(f"COMMENT ON ROLE {role.q} IS {_literal(marker(db, kind))};")
    if out:
        out.append(f"GRANT {found['reader'].q} TO {found['admin'].q};")
        if owner:
            out.append(f"GRANT {found['reader'].q}, {found['admin'].q} TO {quote_ident(owner)} WITH ADMIN OPTION;")
    return out


def grant_statements(conn: psycopg.Connection, mods: list[Module], planned: bool = False) -> list[str]:
    """GRANTs for the objects that exist now (run after functions and views are created)."""
    db = conn.info.dbname
    reader, admin = (quote_ident(role_name(db, k)) for k in KINDS)
    reader_fns = {f for m in mods for f in m.reader_functions}
    admin_tables = [t for m in mods for t in m.admin_tables]
    out = [f"REVOKE ALL ON SCHEMA pgrollup_internal FROM {reader}, {admin};",
           f"GRANT USAGE ON SCHEMA pgrollup TO {reader}, {admin};",
           f"GRANT SELECT ON ALL TABLES IN SCHEMA pgrollup TO {reader};",
           f"GRANT EXECUTE ON ALL ROUTINES IN SCHEMA pgrollup TO {admin};"]
    for (sig,) in conn.execute(
            "SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p "
            "JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'pgrollup' AND p.proname = ANY(%s) ORDER BY 1", (sorted(reader_fns),)).fetchall():
        out.append(f"GRANT EXECUTE ON FUNCTION {sig} TO {reader};")
    for table in admin_tables:
        if planned or conn.execute("SELECT pg_catalog.to_regclass(%s) IS NOT NULL", (f"pgrollup.{table}",)).fetchone()[0]:
            out.append(sql.SQL("GRANT INSERT, UPDATE, DELETE ON {} TO ").format(
                sql.Identifier("pgrollup", table)).as_string(conn) + f"{admin};")
    return out


def _legacy_roles(conn: psycopg.Connection) -> dict[str, int]:
    """The shared roles of earlier versions that still hold a grant in this database's pgrollup."""
    rows = conn.execute(
        "SELECT r.rolname, r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = ANY(%s) AND ("
        "  EXISTS (SELECT 1 FROM pg_catalog.pg_namespace AS n, pg_catalog.aclexplode(n.nspacl) AS a "
        "           WHERE n.nspname IN ('pgrollup', 'pgrollup_internal') AND a.grantee = r.oid) "
        "  OR EXISTS (SELECT 1 FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace, "
        "                  pg_catalog.aclexplode(c.relacl) AS a "
        "           WHERE n.nspname IN ('pgrollup', 'pgrollup_internal') AND a.grantee = r.oid) "
        "  OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc AS p JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace, "
        "                  pg_catalog.aclexplode(p.proacl) AS a "
        "           WHERE n.nspname IN ('pgrollup', 'pgrollup_internal') AND a.grantee = r.oid))",
        (list(LEGACY.values()),)).fetchall()
    return dict(rows)


def _members(conn: psycopg.Connection, role_oid: int, exclude: list[str]) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT m.rolname FROM pg_catalog.pg_auth_members AS am JOIN pg_catalog.pg_roles AS m ON m.oid = am.member "
        "WHERE am.roleid = %s AND m.rolname <> ALL(%s) ORDER BY 1", (role_oid, exclude)).fetchall()]


def _migrate_legacy(conn: psycopg.Connection, found: dict[str, Role], may_grant: bool) -> list[str]:
    legacy = _legacy_roles(conn)
    if not legacy:
        return []
    messages = []
    exclude = list(LEGACY.values()) + [r.name for r in found.values()]
    for kind, old in LEGACY.items():
        if old not in legacy:
            continue
        q_old = quote_ident(old)
        for schema in ("pgrollup", "pgrollup_internal"):
            conn.execute(f"REVOKE ALL ON SCHEMA {schema} FROM {q_old}")
            conn.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {q_old}")
            conn.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {q_old}")
            conn.execute(f"REVOKE ALL ON ALL ROUTINES IN SCHEMA {schema} FROM {q_old}")
        members = _members(conn, legacy[old], exclude)
        new = found[kind]
        text = (f"the shared role {old} of earlier versions no longer gives access in database {conn.info.dbname} "
                f"(its grants here are revoked; {new.name} replaces it)")
        if members and new.exists and (may_grant or conn.execute(
                "SELECT pg_catalog.pg_has_role(current_user, %s, 'MEMBER WITH ADMIN OPTION')", (new.name,)).fetchone()[0]):
            for m in members:
                conn.execute(f"GRANT {new.q} TO {quote_ident(m)}")
            text += f"; its members now have {new.name}: {', '.join(members)}"
        elif members:
            text += f"; give its members this database's role (a role with CREATEROLE runs):\n" + "\n".join(
                f"GRANT {new.q} TO {quote_ident(m)};" for m in members)
        messages.append(text)
    return messages


def _record(conn: psycopg.Connection, found: dict[str, Role]) -> None:
    for kind, role in found.items():
        if role.exists:
            conn.execute("INSERT INTO pgrollup_internal.access_roles (role_kind, role_name) VALUES (%s, %s) "
                         "ON CONFLICT (role_kind) DO UPDATE SET role_name = EXCLUDED.role_name, recorded_at = now() "
                         "WHERE access_roles.role_name IS DISTINCT FROM EXCLUDED.role_name", (kind, role.name))
        else:
            conn.execute("DELETE FROM pgrollup_internal.access_roles WHERE role_kind = %s", (kind,))


def apply(conn: psycopg.Connection, mods: list[Module]) -> list[str]:
    """Create this database's roles when allowed, record them and grant; returns messages for the
    user (inside the caller's transaction)."""
    db = conn.info.dbname
    found = check(conn)
    messages = []
    may_create = can_create_roles(conn)
    missing = [r for r in found.values() if not r.exists]
    if missing and may_create:
        for stmt in create_statements(conn, found):
            conn.execute(stmt)
        found = inspect(conn)
        messages.append(f"created roles {found['reader'].name} (BI tools: GRANT {found['reader'].q} TO <user>) and "
                        f"{found['admin'].name} (operators) for database {db}")
    elif missing:
        messages.append(f"the roles of database {db} do not exist and {conn.info.user} may not create them; "
                        f"a role with CREATEROLE runs (then run pgrollup install again):\n"
                        + "\n".join(create_statements(conn, found, owner=conn.info.user)))
    _record(conn, found)
    if all(r.exists for r in found.values()):
        for stmt in grant_statements(conn, mods):
            conn.execute(stmt)
        messages += _migrate_legacy(conn, found, may_create)   # only once the new roles exist
    return messages


def registered(conn: psycopg.Connection) -> dict[str, str]:
    """{kind: role name} recorded for this database (empty when nothing is installed)."""
    if not conn.execute("SELECT pg_catalog.to_regclass('pgrollup_internal.access_roles') IS NOT NULL").fetchone()[0]:
        return {}
    return dict(conn.execute("SELECT role_kind, role_name::text FROM pgrollup_internal.access_roles").fetchall())


def drop(conn: psycopg.Connection, names: dict[str, str]) -> list[str]:
    """Drop this database's roles (``names`` read before the schemas went), and the shared roles
    of earlier versions when nothing in the cluster uses them any more."""
    db = conn.info.dbname
    messages = []
    candidates = [(n, k) for k, n in sorted(names.items(), key=lambda kv: kv[0] != "admin")]
    candidates += [(LEGACY["admin"], None), (LEGACY["reader"], None)]
    for role, kind in candidates:
        row = conn.execute("SELECT pg_catalog.shobj_description(oid, 'pg_authid') FROM pg_catalog.pg_roles "
                           "WHERE rolname = %s", (role,)).fetchone()
        if row is None:
            continue
        if kind is not None and row[0] != marker(db, kind):
            messages.append(f"kept role {role}: it does not carry pgrollup's marker for database {db}")
            continue
        try:
            with conn.transaction():
                conn.execute(f"DROP ROLE {quote_ident(role)}")
            messages.append(f"dropped role {role}")
        except psycopg.Error as exc:
            messages.append(f"kept role {role}: {str(exc).splitlines()[0]}")
    return messages

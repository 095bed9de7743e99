"""Connection handling: --dsn, else PGROLLUP_DSN, else the libpq PG* variables."""
from __future__ import annotations

import os

import psycopg
from psycopg import conninfo as _conninfo

from ..errors import UserError


def resolve_dsn(dsn: str | None = None) -> str:
    """The connection string to use: an explicit DSN, else $PGROLLUP_DSN, else '' (libpq PG* variables)."""
    if dsn:
        return dsn
    return os.environ.get("PGROLLUP_DSN", "")


def with_dbname(dsn: str, dbname: str) -> str:
    """The same connection parameters, pointed at another database of the same server."""
    params = _conninfo.conninfo_to_dict(dsn) if dsn else {}
    params["dbname"] = dbname
    return _conninfo.make_conninfo(**params)


def describe(dsn: str) -> str:
    """A short, password-free description of where a DSN points."""
    try:
        params = _conninfo.conninfo_to_dict(dsn) if dsn else {}
    except psycopg.ProgrammingError:
        return "<invalid connection string>"
    host = params.get("host") or os.environ.get("PGHOST") or "local socket"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    db = params.get("dbname") or os.environ.get("PGDATABASE") or "(default database)"
    return f"{db} on {host}:{port}"


def connect(dsn: str | None = None, autocommit: bool = True, **kwargs) -> psycopg.Connection:
    """Connect, turning every connection failure into a one-line UserError."""
    dsn = resolve_dsn(dsn)
    try:
        _conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        raise UserError(f"invalid connection string: {first_line(exc)}") from None
    try:
        conn = psycopg.connect(dsn, autocommit=autocommit, connect_timeout=10, **kwargs)
    except psycopg.OperationalError as exc:
        raise UserError(f"cannot connect to {describe(dsn)}: {first_line(exc)}") from None
    conn.execute("SET application_name = 'pgrollup'")
    return conn


def first_line(exc: BaseException) -> str:
    """The first meaningful line of a driver error message."""
    text = str(exc).strip()
    for line in text.splitlines():
        line = line.strip()
        if line:
            # libpq prefixes: 'connection failed: ...'
            return line
    return exc.__class__.__name__

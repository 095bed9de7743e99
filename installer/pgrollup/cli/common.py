"""What every command shares: the --dsn option, one-line errors and exit codes."""
from __future__ import annotations

import functools
import sys

import click
import psycopg

from ..engine.connection import first_line
from ..errors import UserError

EXIT_BY_LEVEL = {"ok": 0, "warning": 1, "critical": 2}


def fail(message: str, code: int = 1):
    click.echo(f"pgrollup: error: {message}", err=True)
    sys.exit(code)


def user_errors(fn):
    """Turn user-caused errors into one line on stderr and a non-zero exit, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            fail(str(exc), exc.exit_code)
        except psycopg.errors.InsufficientPrivilege as exc:
            fail(f"permission denied: {first_line(exc)}")
        except psycopg.errors.InvalidParameterValue as exc:
            fail(first_line(exc))
        except psycopg.errors.UndefinedTable as exc:
            fail(f"{first_line(exc)} (is pgrollup installed in this database? run 'pgrollup install')")
        except psycopg.errors.UndefinedFunction as exc:
            fail(f"{first_line(exc)} (is pgrollup installed in this database? run 'pgrollup install')")
        except psycopg.OperationalError as exc:
            fail(f"database connection failed: {first_line(exc)}")
        except psycopg.Error as exc:
            fail(first_line(exc))
    return wrapper


dsn_option = click.option("--dsn", envvar="PGROLLUP_DSN", default=None,
                          help="libpq connection string or URI (else $PGROLLUP_DSN, else the PG* variables).")

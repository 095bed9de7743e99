"""What every command shares: --dsn, the options named alike across commands (--module, --cron,
--from/--to, --account/--tenant), one-line errors and exit codes."""
from __future__ import annotations

import functools
import sys

import click
import psycopg

from ..engine.connection import first_line, resolve_dsn
from ..engine.cronexpr import check_cron
from ..engine.sqlfiles import optional_modules
from ..errors import UserError

EXIT_BY_LEVEL = {"ok": 0, "warning": 1, "critical": 2}
PREFIX = "pgrollup: error: "
INSTALL_HINT = "is pgrollup installed in this database? run 'pgrollup install'"
PERMISSION_HINT = ("connect as the role that installed pgrollup (usually the database owner), or as a member of "
                   "its reader role to read or its admin role to change settings")


def one_line(message: str) -> str:
    """The message without a repeated prefix ('permission denied: permission denied for ...')."""
    text = " ".join(str(message).split())
    while text.startswith(PREFIX):
        text = text[len(PREFIX):]
    head, sep, rest = text.partition(": ")
    if sep and rest.lower().startswith(head.lower()):
        text = rest
    return text


def fail(message: str, code: int = 1, details=()):
    click.echo(f"{PREFIX}{one_line(message)}", err=True)
    for line in details:
        click.echo(f"  {line}", err=True)
    sys.exit(code)


def permission_hint(dsn) -> str:
    """Which role to connect as, looked up (best effort) in the catalog anyone may read: the role
    that owns pgrollup's schemas, else the database owner."""
    try:
        with psycopg.connect(resolve_dsn(dsn), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT current_user, COALESCE((SELECT pg_catalog.pg_get_userbyid(nspowner) FROM pg_catalog.pg_namespace "
                "WHERE nspname = 'pgrollup_internal'), (SELECT pg_catalog.pg_get_userbyid(datdba) "
                "FROM pg_catalog.pg_database WHERE datname = current_database()))").fetchone()
    except psycopg.Error:
        return PERMISSION_HINT
    return (f"role {row[0]} lacks the privilege: connect as {row[1]} (who installed pgrollup here), or as a member "
            f"of its reader role to read or its admin role to change settings")


def user_errors(fn):
    """Turn user-caused errors into one line on stderr and a non-zero exit, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            fail(str(exc), exc.exit_code, exc.details)
        except psycopg.errors.InsufficientPrivilege as exc:
            fail(f"{first_line(exc)} ({permission_hint(kwargs.get('dsn'))})")
        except psycopg.errors.InvalidParameterValue as exc:
            fail(first_line(exc))
        except (psycopg.errors.UndefinedTable, psycopg.errors.UndefinedFunction,
                psycopg.errors.InvalidSchemaName) as exc:
            fail(f"{first_line(exc)} ({INSTALL_HINT})")
        except psycopg.OperationalError as exc:
            fail(f"database connection failed: {first_line(exc)}")
        except psycopg.Error as exc:
            fail(first_line(exc))
    return wrapper


def _bad_parameter(exc: UserError, ctx, param):
    text = one_line(str(exc))
    for name in param.opts:                  # "invalid --schedule '61 * * * *': ..." -> "'61 * * * *': ..."
        if text.startswith(f"invalid {name} "):
            text = text[len(f"invalid {name} "):]
    return click.BadParameter(text, ctx=ctx, param=param)


def checked(check):
    """A click callback running an engine check (a UserError becomes click's one-line usage error)."""
    def callback(ctx, param, value):
        if value is None:
            return value
        try:
            return check(value)
        except UserError as exc:
            raise _bad_parameter(exc, ctx, param) from None
    return callback


class Group(click.Group):
    """The pgrollup group: click's own usage errors (unknown option, bad value, missing argument)
    end like every other error, with one line on stderr."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name or "pgrollup", complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            fail("aborted")
        except click.ClickException as exc:
            hint = ""
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                hint = f" (see '{exc.ctx.command_path} --help')"
            fail(exc.format_message() + hint, exc.exit_code)
        sys.exit(rv if isinstance(rv, int) else 0)


dsn_option = click.option("--dsn", envvar="PGROLLUP_DSN", default=None, metavar="DSN",
                          help="libpq connection string or URI (else $PGROLLUP_DSN, else the PG* variables).")


def module_option(multiple=False, required=False, help="Module."):
    """--module, shown the same way by every command: a choice of the shipped modules."""
    return click.option("--module", "modules" if multiple else "module", multiple=multiple, required=required,
                        default=None, type=click.Choice(optional_modules()), metavar="MODULE",
                        help=f"{help} One of: {', '.join(optional_modules())}.")


def cron_option(*names, default=None, help="pg_cron schedule (UTC)."):
    """The pg_cron schedule: `install --schedule` / `schedule --cron`, each accepting the other
    spelling, metavar CRON, checked before anything changes."""
    def callback(ctx, param, value):
        if value is None:
            return value
        try:
            return check_cron(value, option=names[0])
        except UserError as exc:
            raise _bad_parameter(exc, ctx, param) from None
    return click.option(*names, "cron_expr", default=default, metavar="CRON", callback=callback,
                        show_default=default is not None, help=help)


def date_option(name: str, dest: str, help: str):
    """--from DATE / --to DATE (YYYY-MM-DD), shown as DATE rather than click's '[%Y-%m-%d]'."""
    return click.option(name, dest, type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="DATE", help=help)


def id_option(name: str, help: str, required=False):
    return click.option(f"--{name}", type=int, default=None, required=required, metavar="ID", help=help)

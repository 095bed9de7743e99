"""Errors a user can cause: the CLI prints them as one line on stderr and exits non-zero."""


class UserError(Exception):
    """A problem with the user's input or environment (bad DSN, missing table, no privilege...)."""

    exit_code = 1

"""Errors a user can cause: the CLI prints them as one line on stderr (and the listed details, one per
line) and exits non-zero."""
from __future__ import annotations



class UserError(Exception):
    """A problem with the user's input or environment (bad DSN, missing table, no privilege...).
    ``details``: lines printed after the error line (for example the objects an uninstall would drop)."""

    exit_code = 1

    def __init__(self, message: str, details: list[str] | None = None):
        super().__init__(message)
        self.details = list(details or [])

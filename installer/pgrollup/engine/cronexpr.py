"""Checking install and schedule options before anything changes: pg_cron schedules and
lock_timeout values (one-line UserError naming the option and the bad value)."""
from __future__ import annotations

import re

from ..errors import UserError

# what pg_cron 1.4 accepts (minute granularity, schedules in UTC): five fields, each '*' or a list
# of numbers/ranges ('*' and ranges with an optional '/step'), month and weekday names
FIELDS = (("minute", 0, 59, None), ("hour", 0, 23, None), ("day of month", 1, 31, None),
          ("month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
          ("day of week", 0, 7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]))
# its @-macros, written out (so the expected interval of the job is known)
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def _short(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else value[:limit] + "…"


def _number(text: str, low: int, high: int, names, what: str) -> int:
    if text.isdigit():
        n = int(text)
    elif names and text.lower() in names:
        n = names.index(text.lower()) + low
    else:
        raise ValueError(f"{what} {text!r} is not a number")
    if not low <= n <= high:
        raise ValueError(f"{what} {n} is out of range {low}-{high}")
    return n


def _check_field(text: str, low: int, high: int, names, what: str) -> None:
    for part in text.split(","):
        base, step = part.split("/", 1) if "/" in part else (part, None)
        if step is not None and (not step.isdigit() or int(step) == 0):
            raise ValueError(f"{what} step {step!r} must be a positive number")
        if base == "*":
            continue
        if step is not None and "-" not in base:
            raise ValueError(f"{what} step {part!r} needs '*' or a range before '/'")
        if "-" in base:
            a, b = base.split("-", 1)
            if _number(a, low, high, names, what) > _number(b, low, high, names, what):
                raise ValueError(f"{what} range {base!r} runs backwards")
        else:
            _number(base, low, high, names, what)


def check_cron(expr: str, option: str = "--schedule") -> str:
    """The expression, normalised to single spaces, when pg_cron 1.4 accepts it; else UserError."""
    if expr is None:
        raise UserError(f"{option} needs a cron expression")
    norm = " ".join(expr.split())
    if norm.lower() in MACROS:
        return MACROS[norm.lower()]
    fields = norm.split(" ") if norm else []
    problem = None
    if len(fields) != 5:
        problem = f"expected 5 fields (minute hour day-of-month month day-of-week), got {len(fields)}"
    else:
        for text, (what, low, high, names) in zip(fields, FIELDS):
            if not re.fullmatch(r"[0-9A-Za-z*,/-]+", text):
                problem = f"{what} {text!r} has characters pg_cron does not accept"
                break
            try:
                _check_field(text, low, high, names, what)
            except ValueError as exc:
                problem = str(exc)
                break
    if problem:
        raise UserError(f"invalid {option} {_short(expr)!r}: {problem} (pg_cron schedules run in UTC, "
                        f"at most once a minute; e.g. '0 * * * *' hourly, '*/15 * * * *', '@daily')")
    return norm


_UNITS_MS = {"": 1, "us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def check_lock_timeout(value: str) -> str:
    """A lock_timeout as PostgreSQL spells it ('5s', '500ms', '2min', '1500'), greater than zero
    (0 would wait forever) and at most a day; else UserError."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*", str(value))
    if not m:
        raise UserError(f"invalid --lock-timeout {_short(str(value))!r}: expected a duration such as 5s, 500ms or 2min")
    ms = float(m.group(1)) * _UNITS_MS[m.group(2) or ""]
    if ms < 1:
        raise UserError(f"invalid --lock-timeout {value!r}: must be at least 1ms (0 would wait forever "
                        f"and block the application's readers)")
    if ms > 86_400_000:
        raise UserError(f"invalid --lock-timeout {value!r}: at most 1d")
    return f"{m.group(1)}{m.group(2) or 'ms'}"


def check_retries(value: int) -> int:
    if value is None or not 0 <= int(value) <= 100:
        raise UserError(f"invalid --retries {value!r}: expected 0 to 100")
    return int(value)

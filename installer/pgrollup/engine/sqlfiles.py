"""Locating and rendering the SQL files shipped with pgrollup.

In a wheel the files live in the package (``pgrollup/sql``); in a source checkout they live in the
repository's top-level ``sql/`` directory.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from psycopg import sql as _sql

from .. import __version__
from ..errors import UserError

CORE = "core"


def sql_root() -> Path:
    package = Path(__file__).resolve().parent.parent        # .../pgrollup
    for candidate in (package / "sql", package.parent.parent / "sql"):
        if (candidate / "modules").is_dir():
            return candidate
    raise RuntimeError("pgrollup SQL files not found next to the package")


@dataclass
class Module:
    name: str
    order: int
    description: str = ""
    tables: dict = field(default_factory=dict)
    recommended_indexes: list = field(default_factory=list)
    reader_functions: list = field(default_factory=list)
    admin_tables: list = field(default_factory=list)

    @property
    def migrations_dir(self) -> Path:
        return sql_root() / "migrations" / self.name

    def function_files(self) -> list[Path]:
        return sorted((sql_root() / "functions" / self.name).glob("*.sql"))

    def view_files(self) -> list[Path]:
        return sorted((sql_root() / "views" / self.name).glob("*.sql"))


def modules() -> dict[str, Module]:
    """Every module shipped with this version, keyed by name, in install order (core first)."""
    found = []
    for path in (sql_root() / "modules").glob("*.json"):
        meta = json.loads(path.read_text())
        found.append(Module(name=path.stem, order=meta.get("order", 100),
                            description=meta.get("description", ""),
                            tables=meta.get("tables", {}),
                            recommended_indexes=meta.get("recommended_indexes", []),
                            reader_functions=meta.get("reader_functions", []),
                            admin_tables=meta.get("admin_tables", [])))
    found.sort(key=lambda m: (m.order, m.name))
    return {m.name: m for m in found}


def optional_modules() -> list[str]:
    return [name for name in modules() if name != CORE]


def check_module_names(names) -> None:
    known = optional_modules()
    for name in names:
        if name not in known:
            raise UserError(f"unknown module {name!r}: choose from {', '.join(known)}")


_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def _free_tag(used: str, taken: set[str]) -> str:
    """A dollar-quote tag ($pgrN$) that occurs nowhere in ``used`` and is not in ``taken``."""
    n = 0
    while True:
        tag = f"$pgr{n}$"
        if tag not in used and tag not in taken:
            return tag
        n += 1


def render(path: Path, source_schema: str | None) -> str:
    """The text of a function or view file with its placeholders substituted.

    ``@source_schema@`` becomes the quoted identifier of the source schema, whatever its spelling
    (``s$$x``, ``Mixed Case``, ``a"b``, ``it's``): right after an opening single quote (inside a
    string literal, e.g. ``'@source_schema@.t'::regclass``) its quotes are doubled, and every
    dollar-quote tag of the file that occurs in the identifier (``$$`` for ``s$$x``) is replaced by
    one that does not, so the identifier can never end a dollar-quoted function body early."""
    text = path.read_text()
    text = text.replace("@version@", __version__)
    if "@source_schema@" not in text:
        return text
    if source_schema is None:
        raise RuntimeError(f"{path.name} needs a source schema")
    ident = _sql.Identifier(source_schema).as_string(None)
    tags = set(m.group(0) for m in _DOLLAR_TAG.finditer(text))
    clashing = sorted(t for t in tags if t in ident)
    if clashing:
        renamed = {}
        for tag in clashing:
            renamed[tag] = _free_tag(ident + text, tags | set(renamed.values()))
        text = _DOLLAR_TAG.sub(lambda m: renamed.get(m.group(0), m.group(0)), text)
    text = text.replace("'@source_schema@", "'" + ident.replace("'", "''"))
    return text.replace("@source_schema@", ident)

"""Locating and rendering the SQL files shipped with pgrollup.

In a wheel the files live in the package (``pgrollup/sql``); in a source checkout they live in the
repository's top-level ``sql/`` directory.
"""
from __future__ import annotations

import json
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


def render(path: Path, source_schema: str | None) -> str:
    """The text of a function or view file with its placeholders substituted."""
    text = path.read_text()
    text = text.replace("@version@", __version__)
    if "@source_schema@" in text:
        if source_schema is None:
            raise RuntimeError(f"{path.name} needs a source schema")
        text = text.replace("@source_schema@", _sql.Identifier(source_schema).as_string(None))
    return text

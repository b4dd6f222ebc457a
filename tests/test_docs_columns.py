"""docs/TABLES.md documents every column of every table and view a fresh database has, with its type:
a column added without a line there (or a table, a view) fails here, naming it."""

from __future__ import annotations

import re
from pathlib import Path

from store.db import reader, writer

TABLES_MD = Path(__file__).resolve().parents[1] / "docs" / "TABLES.md"
# "## `items` (table)" opens a table's section; "| `source` | VARCHAR | ... |" is one of its columns.
_SECTION = re.compile(r"^## `(\w+)` \((?:table|view)\)\s*$")
_COLUMN = re.compile(r"^\| `(\w+)` \| ([^|]+?) \|")
# The docs write DuckDB's short name for the type DESCRIBE spells out.
_SPELLED_OUT = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ"}


def documented(text: str) -> dict[str, dict[str, str]]:
    """Per table or view of the docs, its columns and their types, in the docs' order."""
    tables: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            section = _SECTION.match(line)
            current = tables.setdefault(section.group(1), {}) if section else None
        elif current is not None and (column := _COLUMN.match(line)):
            current[column.group(1)] = column.group(2).strip()
    return tables


def catalog(db: Path) -> dict[str, dict[str, str]]:
    """Per table and view of the database, its columns and their types, from DuckDB's catalog."""
    tables: dict[str, dict[str, str]] = {}
    with reader(db) as con:
        rows = con.execute(
            """SELECT table_name, column_name, data_type FROM information_schema.columns
               WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"""
        ).fetchall()
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = _SPELLED_OUT.get(data_type, data_type)
    return tables


def differences(docs: dict[str, dict[str, str]], db: dict[str, dict[str, str]]) -> list[str]:
    """What the docs lack or get wrong about the database, one line each, naming table and column."""
    problems = []
    for table, columns in db.items():
        if table not in docs:
            problems.append(f"{table}: no section '## `{table}` (table)' or '(view)'")
            continue
        for column, data_type in columns.items():
            if column not in docs[table]:
                problems.append(f"{table}.{column} ({data_type}): not documented")
            elif docs[table][column] != data_type:
                problems.append(f"{table}.{column}: documented as {docs[table][column]}, is {data_type}")
        problems += [f"{table}.{c}: documented, not in the database" for c in docs[table] if c not in columns]
    problems += [f"{table}: documented, not in the database" for table in docs if table not in db]
    return problems


def test_every_column_of_a_fresh_database_is_documented_with_its_type(tmp_path: Path) -> None:
    db = tmp_path / "m.duckdb"
    with writer(db):
        pass  # applies every migration
    found = catalog(db)
    assert {"items", "classifications", "flagged", "label_decisions", "item_versions"} <= set(found)
    problems = differences(documented(TABLES_MD.read_text(encoding="utf-8")), found)
    assert not problems, "docs/TABLES.md is not the database's:\n" + "\n".join(problems)


def test_a_missing_or_wrong_line_is_named() -> None:
    db = {"items": {"source": "VARCHAR", "lang": "VARCHAR"}, "flagged": {"reviewed_at": "TIMESTAMPTZ"}}
    docs = documented(
        "## `items` (table)\n\n| column | type | holds |\n| --- | --- | --- |\n"
        "| `source` | VARCHAR | the source |\n| `gone` | INTEGER | dropped since |\n"
        "## Times\n| `lang` | VARCHAR | a table of another section does not count |\n"
        "## `flagged` (view)\n| `reviewed_at` | VARCHAR | wrong type |\n"
    )
    assert differences(docs, db) == [
        "items.lang (VARCHAR): not documented",
        "items.gone: documented, not in the database",
        "flagged.reviewed_at: documented as VARCHAR, is TIMESTAMPTZ",
    ]

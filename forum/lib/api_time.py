"""Timestamps written by the database in the API's form, for reads that list many rows.

The API writes a moment as `forum.accounts.schemas.iso` does: ISO 8601 in UTC with a `Z`,
microseconds only when there are some (`2026-11-30T09:15:02Z`, `2026-11-30T09:15:02.5Z`
is never written: six digits or none). Building a datetime per column and formatting it in
Python cost a page of fifty posts more than its query (two type processors and an
`isoformat` per row); `api_time(column)` makes the database return the text itself.

PostgreSQL formats the `timestamptz` with `to_char` in UTC. SQLite stores what
SQLAlchemy's DateTime writes, `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, which only needs its
separator changed, its zero microseconds dropped and a `Z`. Both are checked against
`iso` on edge cases and random moments in tests/integration/test_api_time.py.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement


class api_time(FunctionElement[str]):
    """A timestamp column as the API's text (NULL stays NULL)."""

    type = Text()
    name = "api_time"
    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)


@compiles(api_time, "postgresql")
def _api_time_postgresql(element: api_time, compiler: Any, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN date_trunc('second', {utc}) = {utc}"
        f' THEN to_char({utc}, \'YYYY-MM-DD"T"HH24:MI:SS"Z"\')'
        f' ELSE to_char({utc}, \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') END'
    )


@compiles(api_time, "sqlite")
def _api_time_sqlite(element: api_time, compiler: Any, **kw: Any) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    return (
        f"CASE WHEN substr({column}, 20) IN ('', '.000000')"
        f" THEN replace(substr({column}, 1, 19), ' ', 'T') || 'Z'"
        f" ELSE replace({column}, ' ', 'T') || 'Z' END"
    )

"""Query plans of what the service really sends: capture the statements, EXPLAIN them.

    with capture_selects() as captured:
        await client.get("/api/threads/1/posts")
    lines = explain_sqlite(path, captured)          # EXPLAIN QUERY PLAN, one line a step
    lines = await explain_postgres(url, captured)   # EXPLAIN (ANALYZE, BUFFERS), as text
    problems = sqlite_problems(lines)               # full scans and sorts of the big tables

`capture_selects` listens on every engine's `before_cursor_execute` and keeps each SELECT
with its parameters as the driver received them, so the plan is the plan of the exact
statement and values. Used by the scale benchmark (tests/bench/scale.py) and by the plan
guard (tests/integration/test_query_plans.py).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from tests.queries import SELECT, kind_of

# The tables that grow with the posts: a plan must never read one of them whole, nor sort it.
BIG_TABLES = ("posts", "threads", "events", "audit_log", "flags", "post_revisions", "queue_entries")


@dataclass(frozen=True)
class Captured:
    sql: str
    params: Any


@contextmanager
def capture_selects() -> Iterator[list[Captured]]:
    captured: list[Captured] = []

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        if kind_of(statement) == SELECT and not statement.lstrip().lower().startswith("pragma"):
            captured.append(Captured(statement, parameters))

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield captured
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def explain_sqlite(path: str, captured: list[Captured]) -> list[tuple[Captured, list[str]]]:
    """EXPLAIN QUERY PLAN of each statement: its steps as SQLite prints them."""
    conn = sqlite3.connect(path)
    try:
        out = []
        for stmt in captured:
            rows = conn.execute(f"EXPLAIN QUERY PLAN {stmt.sql}", stmt.params or ()).fetchall()
            out.append((stmt, [row[3] for row in rows]))
        return out
    finally:
        conn.close()


async def explain_postgres(
    url: str, captured: list[Captured], *, generic: bool = False
) -> list[tuple[Captured, list[str]]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement (reads only: running them changes nothing).

    `generic`: the plan a prepared statement gets after its fifth run, which the service's
    statements (asyncpg prepares each) run with from then on: planned without the values
    of its parameters (PREPARE, then EXECUTE under `plan_cache_mode = force_generic_plan`).
    """
    import asyncpg

    conn = await asyncpg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        out = []
        if generic:
            await conn.execute("SET plan_cache_mode = force_generic_plan")
        for n, stmt in enumerate(captured):
            params = stmt.params if isinstance(stmt.params, (tuple, list)) else ()
            if generic:
                await conn.execute(f"PREPARE plan_{n} AS {stmt.sql}")
                args = ", ".join(_sql_literal(p) for p in params)
                rows = await conn.fetch(
                    f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE plan_{n}({args})"
                    if args
                    else f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE plan_{n}"
                )
            else:
                rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {stmt.sql}", *params)
            out.append((stmt, [row[0] for row in rows]))
        return out
    finally:
        await conn.close()


def _sql_literal(value: object) -> str:
    """A parameter's value written as SQL (EXECUTE's arguments): the types the service binds."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        return "ARRAY[" + ", ".join(_sql_literal(v) for v in value) + "]"
    raise TypeError(f"no SQL literal for {type(value).__name__}")


_SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?: USING (?:COVERING )?INDEX (\w+))?")
_SQLITE_SORT = re.compile(r"USE TEMP B-TREE FOR (?:RIGHT PART OF )?ORDER BY")


# A statement that reads rows by a list of keys (`IN (?, ?, ...)`, a page's worth at most).
# Only ids qualify: `space_id IN (...)` picks every row of some spaces, which is no bound.
# A subquery of ids qualifies too (the audit log's merged keyset walks, each under a LIMIT).
_KEY_LIST = re.compile(r"\.(?:id|post_id) IN \((?:SELECT|\?|\$\d+)", re.IGNORECASE)


def sqlite_problems(
    plan: list[str],
    sql: str = "",
    *,
    ordered_walks: frozenset[str] = frozenset(),
    bounded_sorts: bool = False,
) -> list[str]:
    """Steps that read a big table whole, or sort rows of one, in an EXPLAIN QUERY PLAN.

    `ordered_walks`: tables whose plain `SCAN` is allowed because the walk follows the
    ORDER BY under a LIMIT (the first page of a list by id, newest first) and stops early.
    A sort is allowed in a statement that reads its rows by a list of keys (`sql` holds
    `post_id IN (?, ...)`: the flags of a page's posts), and where the caller says the sorted set
    is bounded by something other than the table (`bounded_sorts`).
    """
    problems = []
    by_keys = bool(_KEY_LIST.search(sql))
    for i, step in enumerate(plan):
        scan = _SQLITE_SCAN.match(step)
        if scan and scan.group(1) in BIG_TABLES and scan.group(1) not in ordered_walks:
            problems.append(step)
        # A sort belongs to the statement's outer loop: it counts when a big table was read.
        sorts = _SQLITE_SORT.search(step) and not by_keys and not bounded_sorts
        if sorts and any(t in " ".join(plan[:i]) for t in BIG_TABLES):
            problems.append(step)
    return problems


_PG_SEQ = re.compile(r"Seq Scan on (\w+).*actual time=[\d.]+\.\.[\d.]+ rows=(\d+)")
_PG_SORT = re.compile(r"->\s+Sort .*actual time=[\d.]+\.\.[\d.]+ rows=(\d+)|^Sort .*rows=(\d+)")


_PG_ROWS = re.compile(r"on (\w+).*actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)")


def postgres_problems(plan: list[str], *, big: int = 1000, many: int = 2000) -> list[str]:
    """In an EXPLAIN ANALYZE: sequential scans of a big table, sorts of more than `big` rows,
    and any step that read more than `many` rows of a big table in all, over its loops (an
    index walked far, or a join repeated per row: a page reads at most a hundred or so)."""
    problems = []
    for step in plan:
        seq = _PG_SEQ.search(step)
        rows = _PG_ROWS.search(step)
        sort = _PG_SORT.search(step.strip())
        scanned = bool(seq and seq.group(1) in BIG_TABLES)
        walked = bool(rows and rows.group(1) in BIG_TABLES and int(rows.group(2)) * int(rows.group(3)) > many)
        sorted_many = bool(sort and int(sort.group(1) or sort.group(2) or 0) > big)
        if scanned or walked or sorted_many:
            problems.append(step.strip())
    return problems


# How the moderation queue may read the big tables: a range of one of queue_entries' indexes
# (per kind, or per space and kind), then rows by primary key, and the page's open flags by
# post id. Nothing else: no walk of the pending posts or of the open flags.
_QUEUE_RANGE = re.compile(
    r"^SEARCH queue_entries USING COVERING INDEX ix_queue_entries_(?:space_)?kind_since "
    r"\((?:space_id=\? AND )?kind=\?( AND \(since,post_id\)>\(\?,\?\))?\)$"
)
_BY_KEY = re.compile(
    r"^SEARCH (\w+) USING (?:INTEGER PRIMARY KEY \(rowid=\?\)|INDEX ix_flags_post_id \(post_id=\?\))"
)


def queue_problems(plan: list[str], *, deep: bool) -> list[str]:
    """Steps of a moderation queue read (EXPLAIN QUERY PLAN) that read more than a page's
    rows of a big table: anything but a range of queue_entries' indexes (past the cursor,
    with `deep`) and reads by key."""
    problems = []
    for step in plan:
        named = re.search(r"\b(?:SCAN|SEARCH) (\w+)", step)
        if not named or named.group(1) not in BIG_TABLES:
            continue
        queue_range = _QUEUE_RANGE.match(step)
        if queue_range:
            if deep and not queue_range.group(1):
                problems.append(step)
        elif not _BY_KEY.match(step):
            problems.append(step)
    return problems


def sqlite_path(database_url: str) -> str:
    database = make_url(database_url).database
    assert database, database_url
    return database

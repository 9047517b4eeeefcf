"""Counting what the code sends to the database, for the query-count guards.

    with count_queries(engine) as queries:
        ...
    assert queries.count() == 11, queries

`count_queries` listens on the engines' `before_cursor_execute` (every statement sent to
the database, savepoints included) and on their transaction events (`begin`, `commit`,
`rollback`), which a driver may carry out without a statement of its own: asyncpg sends
BEGIN as a round trip of its own, the SQLite driver sends it in the same hop as the first
statement (forum.lib.sqlite_driver). Each is kept as a `Statement` with its kind and the
table it names (`select posts`, `insert events`, `commit`), so a guard can assert the
total, a kind, or the whole list, and a failure prints every statement in order.

An N+1 (a query per row) or one more query on a hot path then fails a test, where a
timing assertion would only be noise.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

# The kinds of statement.
SELECT = "select"
INSERT = "insert"
UPDATE = "update"
DELETE = "delete"
SAVEPOINT = "savepoint"  # SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT
BEGIN = "begin"
COMMIT = "commit"
ROLLBACK = "rollback"
OTHER = "other"
# What opens, marks or ends a transaction rather than reads or writes rows.
TRANSACTION_CONTROL = frozenset({SAVEPOINT, BEGIN, COMMIT, ROLLBACK})

_WORDS = re.compile(r"[A-Za-z_]+")
# The table a statement is about: the first one it reads from, inserts into or updates.
_TABLE = {
    SELECT: re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE),
    INSERT: re.compile(r"\bINTO\s+\"?(\w+)", re.IGNORECASE),
    UPDATE: re.compile(r"^\s*UPDATE\s+\"?(\w+)", re.IGNORECASE),
    DELETE: re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE),
}


_PARENTHESIZED = re.compile(r"\([^()]*\)")


def _top_level(sql: str) -> str:
    """The statement with what parentheses hold left out: a subquery in a select list
    (a correlated count) then does not name the statement's table."""
    while True:
        shorter = _PARENTHESIZED.sub("", sql)
        if shorter == sql:
            return sql
        sql = shorter


def kind_of(sql: str) -> str:
    words = [w.lower() for w in _WORDS.findall(sql[:40])[:2]]
    first = words[0] if words else ""
    if first in ("select", "with", "pragma"):
        return SELECT
    if first in (INSERT, UPDATE, DELETE):
        return first
    if first in ("savepoint", "release") or words == ["rollback", "to"]:
        return SAVEPOINT
    if first in (BEGIN, COMMIT, ROLLBACK):
        return first
    return OTHER


@dataclass(frozen=True)
class Statement:
    kind: str
    sql: str
    engine: str

    @property
    def label(self) -> str:
        """`select posts`, `insert events`, `savepoint`, `release savepoint`, `commit`..."""
        if self.kind == SAVEPOINT:
            words = [w.lower() for w in _WORDS.findall(self.sql)]
            return " ".join(words[: words.index("savepoint") + 1])
        pattern = _TABLE.get(self.kind)
        # A select reads first from its top-level FROM; from a subquery's only when the top
        # level reads from no table of its own (a derived table).
        match = pattern.search(_top_level(self.sql)) if pattern and self.kind == SELECT else None
        match = match or (pattern.search(self.sql) if pattern else None)
        return f"{self.kind} {match.group(1)}" if match else self.kind

    def __str__(self) -> str:
        one_line = " ".join(self.sql.split())
        return f"{self.label:24} [{self.engine}] {one_line[:180]}"


@dataclass(repr=False)
class QueryLog:
    """What the engines sent while the block ran, in order."""

    statements: list[Statement] = field(default_factory=list)

    def count(self, *kinds: str) -> int:
        """How many statements of these kinds (of every kind when none is named)."""
        if not kinds:
            return len(self.statements)
        return sum(1 for s in self.statements if s.kind in kinds)

    def labels(self, engine: str | None = None) -> list[str]:
        """Each statement's label, in order (of one engine's statements only, if named)."""
        return [s.label for s in self.statements if engine is None or s.engine == engine]

    @property
    def kinds(self) -> Counter[str]:
        return Counter(s.kind for s in self.statements)

    def __str__(self) -> str:
        summary = ", ".join(f"{k}: {n}" for k, n in sorted(self.kinds.items()))
        listing = "\n".join(f"  {i:2}. {s}" for i, s in enumerate(self.statements, 1))
        return f"{len(self.statements)} statements ({summary}):\n{listing}"

    def __repr__(self) -> str:
        return f"<QueryLog of {len(self.statements)} statements>"


# The hub's clocks (forum.cafes.clock, forum.roundtables.timer) look at the stored end times
# every few seconds on the reader engine, whatever the test does: their statements are
# never a request's, and are left out of every count.
CLOCK_TASKS = frozenset({"hub-roundtable-reminders", "hub-cafe-round-clock"})


def _in_clock_task() -> bool:
    try:
        task = asyncio.current_task()
    except RuntimeError:  # no running loop: a statement from a thread of its own
        return False
    return task is not None and task.get_name() in CLOCK_TASKS


@contextmanager
def count_queries(*engines: AsyncEngine, names: tuple[str, ...] = ()) -> Iterator[QueryLog]:
    """Record every statement and transaction event of these engines while the block runs
    (but those of the hub's clocks, `CLOCK_TASKS`).

    `names` label the engines in the log (`writer`, `reader`); by default their position.
    """
    log = QueryLog()
    listeners: list[tuple[Any, str, Any]] = []
    for i, engine in enumerate(engines):
        name = names[i] if i < len(names) else str(i)

        def on_statement(_conn: Any, _cursor: Any, sql: str, *_args: Any, name: str = name) -> None:
            if not _in_clock_task():
                log.statements.append(Statement(kind_of(sql), sql, name))

        def on_transaction(kind: str, name: str = name) -> Any:
            def record(*_args: Any) -> None:
                if not _in_clock_task():
                    log.statements.append(Statement(kind, f"{kind.upper()} (transaction event)", name))

            return record

        listeners.append((engine.sync_engine, "before_cursor_execute", on_statement))
        for kind in (BEGIN, COMMIT, ROLLBACK):
            listeners.append((engine.sync_engine, kind, on_transaction(kind)))
    for target, identifier, fn in listeners:
        event.listen(target, identifier, fn)
    try:
        yield log
    finally:
        for target, identifier, fn in listeners:
            event.remove(target, identifier, fn)


def engine_of(sessionmaker: async_sessionmaker) -> AsyncEngine:
    bind = sessionmaker.kw["bind"]
    assert isinstance(bind, AsyncEngine), bind
    return bind


def app_engines(app: Litestar) -> dict[str, AsyncEngine]:
    """The engines of a started app (its lifespan puts the hub on `app.state`): `writer`,
    of the HTTP requests' sessions and the hub's writes (a socket's `send`), and `reader`,
    of the hub's reads (authorizing, replaying, the ack of a repeated send)."""
    writer = app.plugins.get(SQLAlchemyPlugin).config[0].get_engine()
    hub = app.state.hub
    assert engine_of(hub.sessionmaker) is writer, "the hub writes on another engine than HTTP"
    return {"writer": writer, "reader": engine_of(hub.reader)}


@contextmanager
def count_app_queries(app: Litestar) -> Iterator[QueryLog]:
    """`count_queries` on every engine of a started app."""
    engines = app_engines(app)
    with count_queries(*engines.values(), names=tuple(engines)) as log:
        yield log

"""Counter rows (a topic's last seq, a table's last message number) bumped in the writer's
transaction, for any number of rows in one statement.

The UPDATE's row locks order the writers of one counter; the new values it returns are
the last numbers handed out. The statement for one row is built once per counter column,
so SQLAlchemy finds its compiled form without recomputing its cache key on the hot path.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Update, bindparam, case, update
from sqlalchemy.ext.asyncio import AsyncSession

_ONE_ROW: dict[tuple[Column[Any], Column[Any]], Update] = {}


def _one_row(key: Column[Any], count: Column[Any]) -> Update:
    statement = _ONE_ROW.get((key, count))
    if statement is None:
        # The binds are not named after the columns: in an UPDATE those names belong to SET.
        statement = (
            update(key.table)
            .where(key == bindparam("bump_key"))
            .values({count: count + bindparam("bump_by")})
            .returning(key, count)
        )
        _ONE_ROW[(key, count)] = statement
    return statement


async def bump(
    session: AsyncSession, key: Column[Any], count: Column[Any], counts: dict[Any, int]
) -> dict[Any, int]:
    """Add `counts[k]` to `count` in the row whose `key` is k; the new value per key.
    Keys without a row are missing from the answer."""
    if not counts:
        return {}
    if len(counts) == 1:
        ((only, by),) = counts.items()
        result = await session.execute(_one_row(key, count), {"bump_key": only, "bump_by": by})
    else:
        result = await session.execute(
            update(key.table)
            .where(key.in_(sorted(counts)))
            .values({count: count + case(counts, value=key)})
            .returning(key, count)
        )
    return {k: value for k, value in result.all()}

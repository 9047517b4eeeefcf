"""Counter rows (a topic's last seq, a table's last message number) bumped in the writer's
transaction, for any number of rows in one statement.

The UPDATE's row locks order the writers of one counter; the new values it returns are
the last numbers handed out. Each statement is built once per counter column and number
of rows, rounded up (forum.lib.shapes), with bound parameters for the keys and amounts:
SQLAlchemy then finds its compiled form without recomputing a cache key or compiling a
new size, and a busy café's batches leave no expression objects behind. Those form
reference cycles, and at a few hundred batches a second they kept the garbage collector
busy enough to pause the event loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, Update, bindparam, case, update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.lib.shapes import padded

# Statements for up to this many rows (padded) are kept; a larger bump builds its own.
KEPT_SIZES = 1024

K = TypeVar("K", bound=Hashable)

_BUILT: dict[tuple[Column[Any], Column[Any], int], Update] = {}


def _statement(key: Column[Any], count: Column[Any], rows: int) -> Update:
    found = _BUILT.get((key, count, rows))
    if found is not None:
        return found
    # The binds are not named after the columns: in an UPDATE those names belong to SET.
    keys = [bindparam(f"key_{i}", type_=key.type) for i in range(rows)]
    amounts = [bindparam(f"by_{i}", type_=count.type) for i in range(rows)]
    if rows == 1:
        statement = (
            update(key.table).where(key == keys[0]).values({count: count + amounts[0]}).returning(key, count)
        )
    else:
        statement = (
            update(key.table)
            .where(key.in_(keys))
            .values({count: count + case(*((key == k, by) for k, by in zip(keys, amounts, strict=True)))})
            .returning(key, count)
        )
    if rows <= KEPT_SIZES:
        _BUILT[(key, count, rows)] = statement
    return statement


async def bump(
    session: AsyncSession, key: Column[Any], count: Column[Any], counts: dict[Any, int]
) -> dict[Any, int]:
    """Add `counts[k]` to `count` in the row whose `key` is k; the new value per key.
    Keys without a row are missing from the answer."""
    if not counts:
        return {}
    params: dict[str, Any] = {}
    ordered = sorted(counts.items())
    # The padding names the last key again, by 0: its first WHEN has already matched.
    rows = padded(ordered, (ordered[-1][0], 0))
    for i, (k, by) in enumerate(rows):
        params[f"key_{i}"] = k
        params[f"by_{i}"] = by
    result = await session.execute(_statement(key, count, len(rows)), params)
    return {k: value for k, value in result.all()}


def numbers_in_order(keys: Sequence[K], last: dict[K, int]) -> list[int]:
    """The numbers a bump handed out, one per item in order: the items of one key get the
    consecutive numbers that end at `last[key]`."""
    per_key = Counter(keys)
    following = {k: last[k] - n + 1 for k, n in per_key.items()}
    numbers = []
    for k in keys:
        numbers.append(following[k])
        following[k] += 1
    return numbers

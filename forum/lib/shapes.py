"""Statement shapes: a statement built for a batch's size is built for a rounded size.

SQLAlchemy compiles a statement once per shape and keeps it in the engine's compiled
cache (500 entries). A writer's statements built for exactly n rows or terms (a counter
update with a CASE per row, an INSERT ... SELECT with a term per post) were a new shape
for every new batch size: under load the batches come in every size, each compiled anew
(a hundred-term INSERT ... SELECT takes tens of milliseconds on the loop's thread), and
they crowd the cache for every other statement. Rounded up to a power of two, eleven
shapes serve every size up to 1,024; the padding matches no row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def padded_size(n: int) -> int:
    """The size to build a statement for, for `n` rows or terms: the power of two >= n."""
    if n < 1:
        raise ValueError(f"a statement for {n} rows")
    return 1 << (n - 1).bit_length()


def padded(items: Sequence[T], filler: T) -> list[T]:
    """`items`, then `filler` up to `padded_size(len(items))`: a filler must match no row,
    or change nothing where it matches (a counter's last key again, by 0)."""
    return [*items, *[filler] * (padded_size(len(items)) - len(items))]

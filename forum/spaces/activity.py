"""What is going on in each space, for the home page: posts, latest activity, a café running.

The figures need threads and cafés, which sit above spaces in the layers; so this module
only holds the shape and the slot, and `forum.cafes.activity` (which may read both) fills
the slot when the app is built (`forum.cafes.install()`). Without it the spaces list
simply has no activity figures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.viewer import Viewer
from forum.spaces.models import Space


class SpaceActivity(msgspec.Struct):
    """A space's activity as one reader may see it."""

    post_count: int = 0
    thread_count: int = 0
    last_post_at: datetime | None = None
    # The id of a café of the space whose round is under way, if any.
    running_cafe_id: int | None = None


# (session, viewer, spaces) -> activity by space id, read in one statement for them all
ActivityReader = Callable[[AsyncSession, Viewer, list[Space]], Awaitable[dict[int, SpaceActivity]]]

_reader: list[ActivityReader] = []


def install(reader: ActivityReader) -> None:
    """Set the function that reads the figures (idempotent: the last one wins)."""
    _reader[:] = [reader]


async def read(session: AsyncSession, viewer: Viewer, spaces: list[Space]) -> dict[int, SpaceActivity]:
    if not spaces or not _reader:
        return {}
    return await _reader[0](session, viewer, spaces)

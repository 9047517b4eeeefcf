"""A loop that keeps time from stored deadlines: the café's round clock and the round
tables' reminders (forum.cafes.clock, forum.roundtables.timer) run on it.

Each pass (`step`) does what is due, reading it from the database, and answers how long to
sleep until the next deadline (at most the caller's poll, so that a deadline set in another
process is seen). A pass that fails because the database cannot serve is tried again at
the next one, and the log says so once, not every few seconds; any other failure is logged
with its traceback. Nothing is held in memory between passes, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from forum.lib.db import database_unavailable


async def keep_time(
    step: Callable[[], Awaitable[float]], *, name: str, log: logging.Logger, poll_seconds: float
) -> None:
    """Run `step` forever (cancelled at shutdown), sleeping the seconds it answers;
    `name` is what the log calls the loop."""
    waiting = False
    while True:
        wait = poll_seconds
        try:
            wait = await step()
            if waiting:
                log.info("%s: running again", name)
            waiting = False
        except Exception as exc:
            if not database_unavailable(exc):
                log.exception("%s failed", name)
            elif not waiting:
                log.warning("%s: waiting for the database (%s)", name, type(exc).__name__)
                waiting = True
        await asyncio.sleep(wait)

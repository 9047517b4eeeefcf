"""The deadline loop of the café's round clock and the round tables' reminders."""

from __future__ import annotations

import asyncio
import logging

import pytest

from forum.lib.deadlines import keep_time

log = logging.getLogger("forum.test-deadlines")


async def run_steps(outcomes: list[float | Exception]) -> list[float]:
    """Run `keep_time` over these outcomes of its step, in order; the waits asked for."""
    asked: list[float] = []
    left = list(outcomes)

    async def step() -> float:
        if not left:
            raise asyncio.CancelledError
        outcome = left.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        asked.append(outcome)
        return outcome

    with pytest.raises(asyncio.CancelledError):
        await keep_time(step, name="the test clock", log=log, poll_seconds=0.0)
    return asked


async def test_the_database_away_is_said_once_and_its_return_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    away = ConnectionRefusedError(111, "Connection refused")
    asked = await run_steps([0.0, away, away, away, 0.01, 0.0])
    assert asked == [0.0, 0.01, 0.0]  # every pass after the database came back ran
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "the test clock: waiting for the database (ConnectionRefusedError)",
        "the test clock: running again",
    ]


async def test_a_fault_of_ours_is_logged_with_its_traceback_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger=log.name)
    asked = await run_steps([ValueError("a bug"), 0.0])
    assert asked == [0.0]
    (record,) = caplog.records
    assert record.getMessage() == "the test clock failed" and record.exc_info is not None

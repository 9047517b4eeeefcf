"""Group commit: concurrent submissions share one write, each gets its own result."""

from __future__ import annotations

import asyncio

import pytest

from forum.lib.batching import Batcher


class Recorder:
    """A write function that records the batches it was given."""

    def __init__(self, fail_on: set[int] | None = None, crash_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on or set()
        self.crash_on = crash_on
        self.gate = asyncio.Event()
        self.gate.set()

    async def write(self, items: list[int]) -> list[int | Exception]:
        self.batches.append(list(items))
        await self.gate.wait()
        if self.crash_on in items:
            raise OSError("the database went away")
        return [ValueError(f"refused {i}") if i in self.fail_on else i * 10 for i in items]


async def test_an_item_alone_is_written_at_once() -> None:
    rec = Recorder()
    assert await Batcher(rec.write).submit(1) == 10
    assert rec.batches == [[1]]


async def test_items_submitted_during_a_write_share_the_next_one() -> None:
    rec = Recorder()
    batcher = Batcher(rec.write)
    rec.gate.clear()
    first = asyncio.create_task(batcher.submit(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.submit(i)) for i in range(2, 6)]
    await asyncio.sleep(0)
    rec.gate.set()
    assert await first == 10
    assert await asyncio.gather(*rest) == [20, 30, 40, 50]
    assert rec.batches == [[1], [2, 3, 4, 5]]


async def test_each_item_gets_its_own_result_or_error_in_order() -> None:
    rec = Recorder(fail_on={3})
    batcher = Batcher(rec.write)
    results = await asyncio.gather(*(batcher.submit(i) for i in (1, 2, 3, 4)), return_exceptions=True)
    assert results[:2] == [10, 20] and results[3] == 40
    assert isinstance(results[2], ValueError) and str(results[2]) == "refused 3"


async def test_a_failed_write_fails_its_batch_only() -> None:
    rec = Recorder(crash_on=2)
    batcher = Batcher(rec.write, max_batch=2)
    results = await asyncio.gather(*(batcher.submit(i) for i in (1, 2, 3)), return_exceptions=True)
    assert [type(r) for r in results[:2]] == [OSError, OSError]
    assert results[2] == 30
    assert rec.batches == [[1, 2], [3]]


async def test_a_caller_that_goes_away_does_not_disturb_the_others() -> None:
    rec = Recorder()
    batcher = Batcher(rec.write)
    rec.gate.clear()
    leaving = asyncio.create_task(batcher.submit(1))
    staying = asyncio.create_task(batcher.submit(2))
    await asyncio.sleep(0)
    leaving.cancel()
    rec.gate.set()
    assert await staying == 20
    with pytest.raises(asyncio.CancelledError):
        await leaving

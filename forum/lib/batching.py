"""Group commit: what callers submit while one batch is being written is written together.

A write to the database has a fixed cost (a transaction, each statement's round trip, and
on SQLite each of those a hop to the driver's thread) that dwarfs the cost of one more row.
`Batcher` hands every item submitted meanwhile to ONE call of its write function, which
returns one result (or exception) per item, in order. Nothing waits for a batch to fill: an
item submitted to an idle batcher is written at once, alone; under load the batches grow by
themselves, as many items as arrived during the previous write.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Items written in one call at most; the rest wait for the next call.
MAX_BATCH = 256


class WriterStopped(RuntimeError):
    """The batcher was stopped (the process is shutting down) before this item was written."""


class Batcher(Generic[Item, Result]):
    def __init__(
        self,
        write: Callable[[list[Item]], Awaitable[list[Result | Exception]]],
        *,
        max_batch: int = MAX_BATCH,
        name: str = "batcher",
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._name = name
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Write `item` with whatever else is waiting; its result, or its exception raised."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._worker is None:
            self._worker = asyncio.create_task(self._drain(), name=self._name)
        return await future

    async def _drain(self) -> None:
        batch: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                try:
                    results: list[Result | Exception] = await self._write([item for item, _ in batch])
                except Exception as exc:  # the whole write failed: every item hears why
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():  # its caller went away (a closed socket)
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
                batch = []
        finally:
            self._worker = None
            stopped = [future for _, future in batch + self._pending if not future.done()]
            if stopped:
                self._pending = []
                for future in stopped:
                    future.set_exception(WriterStopped(f"{self._name} stopped before this was written"))

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

"""The process's writer of table messages: group commit for the live café.

At a busy café every socket's `send` is a table message, and each one alone pays for a
whole transaction (on SQLite, a hop to the driver's thread for every statement). The
writer hands every message submitted meanwhile to ONE call of `messages.post_messages`,
the same function, rules and errors as a single message over HTTP, in one transaction:
a message to an idle café is written at once, alone; a busy café's messages share.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.viewer import Viewer
from forum.cafes import messages
from forum.cafes.messages import MessageDraft, Posted
from forum.lib.batching import Batcher
from forum.lib.db import write_in_own_transaction
from forum.lib.errors import ForumError


class TableWriter:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._batcher: Batcher[MessageDraft, Posted] = Batcher(self._write, name="table-writer")

    async def post(self, viewer: Viewer, table_id: int, body: str, client_id: str | None) -> Posted:
        """Store one message (with whatever else is waiting); raises its ForumError."""
        return await self._batcher.submit(MessageDraft(viewer, table_id, body, client_id))

    async def _write(self, drafts: list[MessageDraft]) -> list[Posted | ForumError]:
        # A COMMIT whose answer was lost fails every message of the batch with
        # OutcomeUnknown: each client sends its own again with its client_id. No savepoint:
        # a client_id raced in from another process writes the batch again.
        return await write_in_own_transaction(
            self._sessionmaker, lambda session: messages.post_messages(session, drafts, own_transaction=True)
        )

    async def stop(self) -> None:
        await self._batcher.stop()

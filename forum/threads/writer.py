"""The process's writer of thread posts, over the websocket and HTTP: group commit.

Every `send` to a thread and every `POST /api/threads/{id}/posts` is a post, and each one
alone paid for a whole transaction (a statement's round trip each, on SQLite a hop to the
driver's thread for every one of them). The writer hands every post submitted meanwhile to
ONE call of `posting.create_posts` in one transaction: a post to an idle server is written
at once, alone; under load the posts of many sockets and requests share. Each sender
still gets its own answer or refusal, only after the commit (the HTTP edge's contract).

The writer owns its transaction, so the batch needs no savepoint against a client_id that
races in from another process: on that IntegrityError the batch is written again, in a new
transaction that finds the other's post (`write_in_own_transaction`; two statements fewer
per batch on PostgreSQL).

A batch that fails as a whole for a reason no single post explains (a fault of ours) is
written again one post at a time, each in its own transaction, so that one post the code
cannot store does not take the others with it. A database that cannot serve, or a COMMIT
whose answer was lost, fails every post of the batch: each client sends its own again
with its client_id.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts.viewer import Viewer
from forum.lib.batching import Batcher
from forum.lib.db import database_unavailable, write_in_own_transaction, write_intent
from forum.lib.errors import ForumError, OutcomeUnknown
from forum.threads import posting
from forum.threads.posting import PostDraft, PostWritten

log = logging.getLogger("forum")


class PostWriter:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._batcher: Batcher[PostDraft, PostWritten] = Batcher(self._write, name="post-writer")

    async def post(
        self,
        viewer: Viewer,
        thread_id: int,
        body: str,
        client_id: str | None,
        reply_to: int | None = None,
    ) -> PostWritten:
        """Store one post (with whatever else is waiting); raises its ForumError."""
        return await self._batcher.submit(PostDraft(viewer, thread_id, body, client_id, reply_to))

    async def _write(self, drafts: list[PostDraft]) -> list[PostWritten | Exception]:
        try:
            return list(await self._write_together(drafts))
        except Exception as exc:
            if len(drafts) == 1 or isinstance(exc, ForumError | OutcomeUnknown) or database_unavailable(exc):
                raise
            log.exception("a batch of %d posts failed: writing them one at a time", len(drafts))
        results: list[PostWritten | Exception] = []
        for draft in drafts:
            try:
                (result,) = await self._write_together([draft])
            except Exception as exc:
                result = exc
            results.append(result)
        return results

    async def _write_together(self, drafts: list[PostDraft]) -> list[PostWritten | ForumError]:
        # This task was started from whichever caller came first: an HTTP request whose own
        # session only reads must not make the writer's transaction a reader (forum.lib.db).
        token = write_intent.set(True)
        try:
            return await write_in_own_transaction(
                self._sessionmaker,
                lambda session: posting.create_posts(session, drafts, own_transaction=True),
            )
        finally:
            write_intent.reset(token)

    async def stop(self) -> None:
        await self._batcher.stop()

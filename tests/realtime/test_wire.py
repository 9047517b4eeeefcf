"""The socket's wire: one frame written straight to many sockets, compressed sockets
through ASGI, and a session re-read when its change signal was lost."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import AuthToken
from forum.app import create_app
from forum.lib.db import utcnow
from forum.realtime import connection, hub
from forum.realtime.hub import Hub
from forum.settings import Settings
from tests.conftest import Cast, make_space, make_thread
from tests.realtime.conftest import Live, serving

# Under the per-socket send limit (FORUM_WS_SEND_PER_10S, 20 by default).
BURST = 18


async def _burst(live: Live, cast: Cast, slug: str) -> None:
    """A sender posts BURST messages over its socket; two readers get every one, in order."""
    await make_space(live.http, cast.admin, slug)
    thread = await make_thread(live.http, cast.focal_point, slug)
    topic = f"thread:{thread['id']}"
    readers = [await live.peer(cast.observer), await live.peer(cast.moderator)]
    for reader in readers:
        await reader.subscribe(topic)
    sender = await live.peer(cast.lcipp)
    for i in range(BURST):
        await sender.send(op="send", topic=topic, body=f"message {i}", client_id=f"b-{i}")
    for reader in readers:
        seen = [await reader.expect("event", topic=topic, type="post.created") for _ in range(BURST)]
        assert [ev["seq"] for ev in seen] == list(range(2, BURST + 2))
        assert [ev["data"]["body"] for ev in seen] == [f"message {i}" for i in range(BURST)]
    acks = [await sender.expect("ack", client_id=f"b-{i}") for i in range(BURST)]
    assert [a["seq"] for a in acks] == list(range(2, BURST + 2))


async def test_uncompressed_sockets_are_written_directly_and_in_order(live: Live, cast: Cast) -> None:
    await _burst(live, cast, "direct")
    assert live.app is not None
    sockets = live.app.state.hub.connections
    assert len(sockets) == 3
    # `forum serve`'s protocol offers the direct write, and readers that keep up never
    # needed a backlog: if uvicorn's internals change under us, this fails.
    assert all(conn.writes_directly for conn in sockets)
    assert all(conn.backlog == 0 for conn in sockets)


@pytest.fixture
async def compressed(settings: Settings) -> AsyncIterator[Live]:
    """The service with FORUM_WS_COMPRESSION on: every frame goes through ASGI."""
    deflating = replace(settings, ws_compression=True)
    async with serving(create_app(deflating), deflating) as running:
        yield running


async def test_compressed_sockets_get_everything_in_order_through_asgi(compressed: Live, cast: Cast) -> None:
    await _burst(compressed, cast, "deflated")
    reader = await compressed.peer(cast.observer, compression="deflate")
    assert reader.ws.protocol.extensions, "the client and server agreed on permessage-deflate"
    await reader.send(op="ping")
    assert (await reader.expect("pong"))["op"] == "pong"


async def test_a_session_whose_change_signal_was_lost_ends_at_the_periodic_check(
    live: Live, cast: Cast, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "REVALIDATE_SECONDS", 0.2)
    monkeypatch.setattr(hub, "REVALIDATE_TICK_SECONDS", 0.1)
    peer = await live.peer(cast.observer)
    # Revoked behind the service's back: no `account.changed` is ever sent.
    await db.execute(
        update(AuthToken).where(AuthToken.user_id == cast.observer.id).values(revoked_at=utcnow())
    )
    await db.commit()
    assert await peer.closed_code() == connection.ENDED_CODE
    assert live.app is not None
    assert isinstance(live.app.state.hub, Hub)

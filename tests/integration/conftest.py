"""Fixtures of the table-message tests: sessions as a websocket's sends get them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib.db import create_engine, make_sessionmaker
from forum.settings import Settings
from forum.spaces.viewers import load_viewer
from forum.streams import StreamEvent
from tests.conftest import Persona


class RecordingPublisher:
    """Keeps what the event log hands over after commit, as the hub's publisher would receive it,
    and counts the commits that handed something over (one call per transaction)."""

    def __init__(self) -> None:
        self.published: list[StreamEvent] = []
        self.commits = 0

    def publish(self, events: list[StreamEvent]) -> None:
        self.commits += 1
        self.published.extend(events)


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
async def writer(settings: Settings, publisher: RecordingPublisher) -> AsyncIterator[async_sessionmaker]:
    """Sessions as the websocket's sends get them: the app's writer engine, a publisher."""
    engine = create_engine(settings)
    yield make_sessionmaker(engine, publisher)
    await engine.dispose()


async def viewer_of(sessionmaker: async_sessionmaker, who: Persona) -> Viewer:
    async with sessionmaker() as session:
        return await load_viewer(session, await session.get(User, who.id))

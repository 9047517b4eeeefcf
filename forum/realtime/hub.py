"""The per-process hub: one broker subscriber, fanned out to every local subscription.

The hub holds ONE channels subscriber for the process. A topic's backend channel is
subscribed when the first local socket subscribes to it and unsubscribed after the last
leaves. Each message from the broker is handed, without waiting, to every local
subscription of its topic (`Subscription.deliver_live`), which puts it on its
connection's bounded queue; a slow socket is cut off there and never delays the hub.

The broker only rings the doorbell: every few seconds the hub also compares each topic's
counter in the database with the highest seq it saw live, and pokes the subscriptions of
a topic that is ahead, so an event whose broker message was lost still arrives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from litestar.channels.subscriber import Subscriber
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.realtime import replay
from forum.realtime.bus import ForumChannels
from forum.realtime.envelope import Envelope
from forum.settings import Settings

if TYPE_CHECKING:
    from forum.realtime.connection import Connection, Subscription

log = logging.getLogger("forum.realtime")

# How often the hub checks the database for events the broker did not bring.
TAIL_CHECK_SECONDS = 10.0
# Topics per query of that check.
TAIL_CHECK_BATCH = 500
# Close code and reason every socket gets when the process shuts down.
RESTART_CODE = 1012
RESTART_REASON = "server restarting: reconnect and resume with after="


class Hub:
    def __init__(
        self, channels: ForumChannels, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        self.channels = channels
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.connections: set[Connection] = set()
        self.closing = False
        self._subscriber: Subscriber | None = None
        self._routes: dict[str, set[Subscription]] = {}
        self._backend_topics: set[str] = set()
        # Serializes backend subscribe/unsubscribe so a topic is never half-registered.
        self._lock = asyncio.Lock()
        self._seen: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    # --- life -----------------------------------------------------------------------

    async def start(self) -> None:
        """Called once the channels plugin has started (an on_startup hook)."""
        self._subscriber = await self.channels.subscribe([])
        self._tasks = [
            asyncio.create_task(self._pump(), name="hub-pump"),
            asyncio.create_task(self._watch_tails(), name="hub-tails"),
        ]

    async def stop(self) -> None:
        """Tell every socket to reconnect elsewhere (1012), then stop listening."""
        self.closing = True
        for conn in list(self.connections):
            conn.close(RESTART_CODE, RESTART_REASON)
        waiting = [conn.finished.wait() for conn in list(self.connections)]
        if waiting:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    @property
    def running(self) -> bool:
        return self._subscriber is not None and not self.closing

    # --- routing --------------------------------------------------------------------

    async def attach(self, sub: Subscription) -> None:
        """Route the topic's live events to `sub`; returns once the broker listens for it."""
        self._routes.setdefault(sub.topic, set()).add(sub)
        async with self._lock:
            if sub.topic in self._routes and sub.topic not in self._backend_topics:
                assert self._subscriber is not None
                await self.channels.add_channels(self._subscriber, [sub.topic])
                self._backend_topics.add(sub.topic)

    async def detach(self, sub: Subscription) -> None:
        routes = self._routes.get(sub.topic)
        if routes is not None:
            routes.discard(sub)
            if not routes:
                del self._routes[sub.topic]
        async with self._lock:
            if sub.topic not in self._routes and sub.topic in self._backend_topics:
                self._backend_topics.discard(sub.topic)
                self._seen.pop(sub.topic, None)
                if self._subscriber is not None:
                    await self.channels.remove_channels(self._subscriber, [sub.topic])

    def local_subscriptions(self, topic: str) -> int:
        return len(self._routes.get(topic, ()))

    # --- delivery -------------------------------------------------------------------

    def dispatch(self, env: Envelope) -> None:
        if env.seq is not None and env.seq > self._seen.get(env.topic, 0):
            self._seen[env.topic] = env.seq
        for sub in list(self._routes.get(env.topic, ())):
            try:
                sub.deliver_live(env)
            except Exception:  # one broken socket must not stop the others
                log.exception("delivering %s #%s failed", env.topic, env.seq)

    async def _pump(self) -> None:
        assert self._subscriber is not None
        async for raw in self._subscriber.iter_events():
            try:
                env = Envelope.from_wire(raw)
            except Exception:
                log.exception("dropping a broker message that is not an event")
                continue
            self.dispatch(env)

    async def _watch_tails(self) -> None:
        while True:
            await asyncio.sleep(TAIL_CHECK_SECONDS)
            try:
                await self.check_tails()
            except Exception:
                log.exception("checking topic tails failed")

    async def check_tails(self) -> None:
        topics = list(self._routes)
        for start in range(0, len(topics), TAIL_CHECK_BATCH):
            batch = topics[start : start + TAIL_CHECK_BATCH]
            async with self.sessionmaker() as session:
                latest = await replay.latest_seqs(session, batch)
            for topic, seq in latest.items():
                if seq > self._seen.get(topic, 0):
                    self._seen[topic] = seq
                    for sub in list(self._routes.get(topic, ())):
                        sub.poke(seq)

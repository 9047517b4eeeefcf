"""Fan-out between processes: Litestar's channels plugin, in memory or on Redis.

The broker only rings the doorbell: the event log in the database is the source of truth,
and subscribers replay from it (see `forum.realtime.hub`).
"""

from __future__ import annotations

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.subscriber import Subscriber

from forum.settings import Settings
from forum.streams import StreamEvent

# Messages a process may hold for its own hub before the slowest is dropped; the hub
# drains this at once into per-connection queues, so only a stalled loop reaches it.
HUB_MAX_BACKLOG = 100_000


def make_backend(settings: Settings) -> ChannelsBackend:
    if settings.redis_url:
        from litestar.channels.backends.redis import RedisChannelsPubSubBackend
        from redis.asyncio import Redis

        return RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url))
    return MemoryChannelsBackend()


class ForumChannels(ChannelsPlugin):
    """The channels plugin, plus adding and removing channels of one existing subscriber.

    The hub keeps ONE subscriber for the whole process and changes its channels as
    connections come and go; the plugin itself only offers a new subscriber per call.
    The plugin already counts subscribers per channel and subscribes the backend only
    for the first and unsubscribes it after the last.
    """

    async def add_channels(self, subscriber: Subscriber, channels: list[str]) -> None:
        fresh = []
        for channel in channels:
            holders = self._channels.setdefault(channel, set())
            if not holders:
                fresh.append(channel)
            holders.add(subscriber)
        if fresh:
            await self._backend.subscribe(fresh)

    async def remove_channels(self, subscriber: Subscriber, channels: list[str]) -> None:
        emptied = []
        for channel in channels:
            holders = self._channels.get(channel)
            if holders is None or subscriber not in holders:
                continue
            holders.discard(subscriber)
            if not holders:
                # Forget the channel entirely: topics come and go, the dict must not grow.
                del self._channels[channel]
                emptied.append(channel)
        if emptied:
            await self._backend.unsubscribe(emptied)


def make_channels(settings: Settings) -> ForumChannels:
    return ForumChannels(
        backend=make_backend(settings),
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=HUB_MAX_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


class ChannelsPublisher:
    """Hands committed events to the channels plugin, one message per event."""

    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels

    def publish(self, events: list[StreamEvent]) -> None:
        for event in events:
            self.channels.publish(_encode(event), [event.topic])


_encode = msgspec.json.Encoder().encode

"""Fan-out between processes: Litestar's channels plugin, in memory or on Redis, supervised.

The broker only rings the doorbell: the event log in the database is the source of truth,
and subscribers replay from it (see `forum.realtime.hub`).

On Redis the plugin's own workers end at the first error and nothing restarts them, so a
Redis outage of a second would end live delivery for the life of the process. Here:

- `RedisBroker`, the backend, reconnects from scratch (a new pub/sub connection subscribed
  to every channel the process listens to) and proves each connection with a probe: a
  message the process publishes to a channel of its own and must receive back. A probe
  that does not come back within `PROBE_TIMEOUT_SECONDS` (a Redis that hangs, a network
  that drops packets) counts as a failure like a closed connection does.
- `ForumChannels` restarts the backend's stream with backoff after any failure, keeps
  publishing what was queued once Redis answers again (subscribers drop the repeats by
  seq), hands publishes straight to this process's own listeners while the broker is
  down, and never lets shutdown wait on a broker that does not answer.
- `BrokerStatus` is the delivery path's own view of the broker: up once a probe came back
  through it, down from the first failure. The hub replays what it missed from the event
  log when it comes back up (and polls the log while it is down); `/health` reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Iterable
from typing import Any

import msgspec
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from litestar.channels.subscriber import Subscriber

from forum.lib.resilience import Backoff, describe, redis_client, redis_connection_errors
from forum.settings import Settings
from forum.streams import StreamEvent
from forum.streams.signals import ACCESS_CHANNEL

log = logging.getLogger("forum.realtime")

# Messages a process may hold for its own hub before the slowest is dropped; the hub
# drains this at once into per-connection queues, so only a stalled loop reaches it.
HUB_MAX_BACKLOG = 100_000
# A probe goes through the broker this often while it works...
HEARTBEAT_SECONDS = 1.0
# ...and must be back within this, or the connection counts as broken.
PROBE_TIMEOUT_SECONDS = 3.0
# How long the reader waits for a message before it looks at its probe again.
READ_POLL_SECONDS = 0.5
# Reconnection attempts: from this wait, doubling up to the cap (a refused connection
# costs next to nothing, and the cap bounds how late delivery resumes after Redis does).
RECONNECT_FIRST_SECONDS = 0.05
RECONNECT_CAP_SECONDS = 0.5
# Channels per SUBSCRIBE command when a connection subscribes to everything again.
SUBSCRIBE_CHUNK = 1000
# Messages waiting to be published while the broker is down; past this the oldest are
# dropped (the event log has them, and every process replays from it when the broker is
# back), so an outage cannot grow the queue without bound.
PUBLISH_BACKLOG_MAX = 10_000
# Shutdown: how long what is queued may take to reach the broker, and how long closing the
# connections may take, before the process goes on without them.
SHUTDOWN_FLUSH_SECONDS = 1.0
SHUTDOWN_CLOSE_SECONDS = 1.0


class BrokerStatus:
    """The broker as the delivery path sees it (see the module)."""

    def __init__(self, *, up: bool) -> None:
        self.up = up
        # Why it is down (None while up), and since when (time.monotonic()).
        self.problem: str | None = None if up else "connecting"
        self.since = time.monotonic()
        # Counts every change, so a watcher that looks late still sees a short outage.
        self.transitions = 0
        self._changed: asyncio.Event | None = None

    def mark_up(self) -> None:
        if self.up:
            return
        if self.transitions:
            log.warning(
                "the broker is back after %.1f s: live delivery resumes", time.monotonic() - self.since
            )
        self.up, self.problem, self.since = True, None, time.monotonic()
        self._notify()

    def mark_down(self, problem: str) -> None:
        if not self.up:
            self.problem = problem
            return
        self.up, self.problem, self.since = False, problem, time.monotonic()
        log.warning("the broker failed (%s): delivering from the event log until it is back", problem)
        self._notify()

    async def changed(self, at_most: float | None = None) -> None:
        """Return when the status changes (or after `at_most` seconds)."""
        if self._changed is None:
            self._changed = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), at_most)
        self._changed.clear()

    def describe(self) -> str:
        if self.up:
            return "ok"
        return f"failing: {self.problem} for {time.monotonic() - self.since:.0f} s"

    def _notify(self) -> None:
        self.transitions += 1
        if self._changed is not None:
            self._changed.set()


class BrokerUnreachable(ConnectionError):
    """The broker did not bring a probe back in time."""


class RedisBroker(ChannelsBackend):
    """Redis pub/sub for the channels plugin that survives Redis going away (see the module).

    `stream_events` raises on any failure; the plugin (`ForumChannels._sub_worker`) starts
    it again, which connects afresh. Subscribing while Redis is away only records the
    channel: the next connection subscribes to it.
    """

    def __init__(self, url: str, status: BrokerStatus) -> None:
        self._redis = redis_client(url)
        self.status = status
        # Every channel this process listens to, whatever the state of the connection.
        self._wanted: set[str] = set()
        self._pubsub: Any = None
        self._probe_channel = f"forum:broker-probe:{uuid.uuid4().hex}"
        # The probe under way: its payload and when it was sent.
        self._probe: tuple[bytes, float] | None = None
        self._probe_task: asyncio.Task[Any] | None = None
        # A failure seen outside the reader (a probe or a subscribe that failed).
        self._failure: BaseException | None = None

    async def on_startup(self) -> None:
        pass

    async def on_shutdown(self) -> None:
        await self._close_pubsub()
        await self._redis.aclose()

    async def subscribe(self, channels: Iterable[str]) -> None:
        fresh = [channel for channel in channels if channel not in self._wanted]
        self._wanted.update(fresh)
        pubsub = self._pubsub
        if fresh and pubsub is not None:
            try:
                await pubsub.subscribe(*fresh)
            except Exception as exc:  # the next connection subscribes to it
                self._broken(exc, pubsub)

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        gone = [channel for channel in channels if channel in self._wanted]
        self._wanted.difference_update(gone)
        pubsub = self._pubsub
        if gone and pubsub is not None:
            try:
                await pubsub.unsubscribe(*gone)
            except Exception as exc:
                self._broken(exc, pubsub)

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        targets = list(dict.fromkeys(channels))
        if len(targets) == 1:
            await self._redis.publish(targets[0], data)
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for channel in targets:
                pipe.publish(channel, data)
            await pipe.execute()

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError("the event log is the history (forum.realtime.replay)")

    async def stream_events(self) -> AsyncGenerator[tuple[str, Any], None]:
        """Connect, then yield (channel, payload) until the connection fails (it raises)."""
        pubsub = await self._connect()
        try:
            next_probe = 0.0
            while True:
                if self._failure is not None:
                    raise self._failure
                now = time.monotonic()
                if self._probe is None and now >= next_probe:
                    self._send_probe()
                elif self._probe is not None and now - self._probe[1] > PROBE_TIMEOUT_SECONDS:
                    raise BrokerUnreachable(f"a probe did not come back within {PROBE_TIMEOUT_SECONDS:.0f} s")
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=READ_POLL_SECONDS)
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"].decode()
                if channel == self._probe_channel:
                    if self._probe is not None and message["data"] == self._probe[0]:
                        self._probe = None
                        next_probe = time.monotonic() + HEARTBEAT_SECONDS
                        # Every channel was subscribed before the probe: nothing is missed now.
                        self.status.mark_up()
                    continue
                if channel in self._wanted:
                    yield channel, message["data"]
        finally:
            await self._close_pubsub(pubsub)

    async def _connect(self) -> Any:
        """A new pub/sub connection subscribed to every wanted channel, then the probe's."""
        await self._close_pubsub()
        self._failure = None
        self._probe = None
        pubsub = self._redis.pubsub()
        # Set before subscribing: a channel wanted from now on is sent to this connection.
        self._pubsub = pubsub
        channels = sorted(self._wanted)
        for start in range(0, len(channels), SUBSCRIBE_CHUNK):
            await pubsub.subscribe(*channels[start : start + SUBSCRIBE_CHUNK])
        # Last: Redis handles one connection's commands in order, so once a probe comes
        # back on this channel every channel above is subscribed.
        await pubsub.subscribe(self._probe_channel)
        return pubsub

    def _send_probe(self) -> None:
        payload = uuid.uuid4().bytes
        self._probe = (payload, time.monotonic())
        pubsub = self._pubsub
        self._probe_task = asyncio.create_task(self._redis.publish(self._probe_channel, payload))
        self._probe_task.add_done_callback(lambda task: self._probe_sent(task, pubsub))

    def _probe_sent(self, task: asyncio.Task[Any], pubsub: Any) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._broken(task.exception(), pubsub)  # type: ignore[arg-type]

    def _broken(self, exc: BaseException, pubsub: Any) -> None:
        """A call on `pubsub` failed: if it is still the connection in use, it is done for
        (the reader raises at its next look); a replaced one no longer matters."""
        if pubsub is self._pubsub:
            self._failure = exc
            self.status.mark_down(describe(exc))

    async def _close_pubsub(self, pubsub: Any = None) -> None:
        pubsub = pubsub or self._pubsub
        if pubsub is None:
            return
        if pubsub is self._pubsub:
            self._pubsub = None
        if self._probe_task is not None:
            self._probe_task.cancel()
            self._probe_task = None
        with contextlib.suppress(Exception):
            await pubsub.aclose()


def make_backend(settings: Settings, status: BrokerStatus) -> ChannelsBackend:
    if settings.redis_url:
        return RedisBroker(settings.redis_url, status)
    return MemoryChannelsBackend()


class ForumChannels(ChannelsPlugin):
    """The channels plugin, supervised (see the module), plus adding and removing channels
    of one existing subscriber.

    The hub keeps ONE subscriber for the whole process and changes its channels as
    connections come and go; the plugin itself only offers a new subscriber per call.
    The plugin already counts subscribers per channel and subscribes the backend only
    for the first and unsubscribes it after the last.
    """

    def __init__(self, backend: ChannelsBackend, *, status: BrokerStatus, **kwargs: Any) -> None:
        super().__init__(backend, **kwargs)
        self.status = status
        # Publishes dropped because the broker was away too long (the log has them).
        self.dropped = 0

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

    async def publish_now(self, messages: list[bytes], channel: str) -> None:
        """Send these (encoded) messages to the broker now, past the queue; never raises
        (the queued copies are still retried)."""
        if self._pub_queue is None:
            return
        try:
            for data in messages:
                await self._backend.publish(data, [channel])
        except Exception as exc:
            log.warning("sending an account signal at once failed (%s): it goes out queued", describe(exc))

    def publish(self, data: Any, channels: str | Iterable[str]) -> None:
        channels = [channels] if isinstance(channels, str) else list(channels)
        queue = self._pub_queue
        if queue is None:
            # Not started, or shutting down: the event log has every event.
            log.debug("the broker is not running: %s not published", channels)
            return
        super().publish(data, channels)
        if queue.qsize() > PUBLISH_BACKLOG_MAX:
            queue.get_nowait()
            queue.task_done()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % PUBLISH_BACKLOG_MAX == 0:
                log.warning("the broker is away: %d publishes dropped (the event log has them)", self.dropped)
        if not self.status.up:
            # The broker may be the only way back to this process's own sockets: hand the
            # message to them now (the broker's copy, if it comes, is dropped by seq).
            payload = self.encode_data(data)
            for channel in channels:
                for subscriber in self._channels.get(channel, ()):
                    subscriber.put_nowait(payload)

    async def _pub_worker(self) -> None:
        queue = self._pub_queue
        assert queue is not None
        backoff = Backoff(RECONNECT_FIRST_SECONDS, RECONNECT_CAP_SECONDS)
        while True:
            data, channels = await queue.get()
            try:
                # Kept and tried again until the broker takes it: a subscriber whose own
                # connection never broke would otherwise wait for the hub's tail check.
                while True:
                    try:
                        await self._backend.publish(data, channels)
                        break
                    except Exception as exc:
                        if not isinstance(exc, redis_connection_errors()):
                            # Refused, not unanswered: trying again would block the queue.
                            log.warning(
                                "the broker refused a message (%s); the event log has it", describe(exc)
                            )
                            break
                        self.status.mark_down(describe(exc))
                        await asyncio.sleep(backoff.next())
                backoff.reset()
            finally:
                queue.task_done()

    async def _sub_worker(self) -> None:
        backoff = Backoff(RECONNECT_FIRST_SECONDS, RECONNECT_CAP_SECONDS)
        while True:
            try:
                async for channel, payload in self._backend.stream_events():
                    backoff.reset()
                    for subscriber in self._channels.get(channel, ()):
                        subscriber.put_nowait(payload)
            except Exception as exc:
                self.status.mark_down(describe(exc))
                log.debug("the broker's stream ended", exc_info=True)
            await asyncio.sleep(backoff.next())

    async def _on_shutdown(self) -> None:
        """The plugin's shutdown, bounded: a broker that does not answer costs a second or
        two, never the process's exit (what was not published is in the event log)."""
        queue, self._pub_queue = self._pub_queue, None
        if queue is not None and self._pub_task is not None and not self._pub_task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.join(), SHUTDOWN_FLUSH_SECONDS)
        await asyncio.gather(
            *[
                subscriber.stop(join=False)
                for subscribers in self._channels.values()
                for subscriber in subscribers
                if subscriber.is_running
            ]
        )
        for task in (self._sub_task, self._pub_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._sub_task = self._pub_task = None
        try:
            await asyncio.wait_for(self._backend.on_shutdown(), SHUTDOWN_CLOSE_SECONDS)
        except Exception as exc:
            log.warning("closing the broker's connections failed: %s", describe(exc))


def make_channels(settings: Settings) -> ForumChannels:
    status = BrokerStatus(up=not settings.redis_url)
    return ForumChannels(
        make_backend(settings, status),
        status=status,
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=HUB_MAX_BACKLOG,
        subscriber_backlog_strategy="dropleft",
    )


class ChannelsPublisher:
    """Hands committed events to the channels plugin, one message per event.

    It never raises: it runs after a commit, and a change that was stored must not be
    reported as a failure because the broker could not be told (the log has the events).
    """

    def __init__(self, channels: ChannelsPlugin) -> None:
        self.channels = channels

    def publish(self, events: list[StreamEvent]) -> asyncio.Task[None] | None:
        """Queue each event for the broker. Account signals on `access` are also sent at
        once, and the task sending them is returned: the HTTP edge answers once it is done,
        so every process has heard of the change before the client's next request
        (forum.spaces.viewer_cache). The queued copy is kept, since it is retried until the
        broker takes it; hearing a signal twice forgets twice."""
        urgent: list[bytes] = []
        for event in events:
            try:
                data = _encode(event)
                self.channels.publish(data, [event.topic])
                if event.seq is None and event.topic == ACCESS_CHANNEL and "user_id" in event.data:
                    urgent.append(data)
            except Exception:
                log.exception(
                    "handing %s #%s to the broker failed (the event log has it)", event.topic, event.seq
                )
        if not urgent or not isinstance(self.channels, ForumChannels) or not self.channels.status.up:
            return None
        return asyncio.create_task(self.channels.publish_now(urgent, ACCESS_CHANNEL))


_encode = msgspec.json.Encoder().encode

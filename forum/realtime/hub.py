"""The per-process hub: one broker subscriber, fanned out to every local subscription.

The hub holds ONE channels subscriber for the process. A topic's backend channel is
subscribed when the first local socket subscribes to it and unsubscribed after the last
leaves. Each message from the broker is handed, without waiting, to every local
subscription of its topic (`Subscription.deliver_live`), which puts it on its
connection's bounded queue; a slow socket is cut off there and never delays the hub.

The broker only rings the doorbell: every few seconds the hub also compares each topic's
counter in the database with the highest seq it saw live, and pokes the subscriptions of
a topic that is ahead, so an event whose broker message was lost still arrives. While the
broker is down (`forum.realtime.bus.BrokerStatus`) the hub reads the log every second, and
once it is back up it reads the log once more: what was published while it was away
reaches every socket without waiting for that check.

Besides the topics clients subscribe to, the hub listens on `user:{id}` for each
signed-in socket (`forum.streams.signals`): `account.suspended` there ends that user's
sockets at once, `account.changed` makes them re-read their session. It also re-reads
every signed-in socket's session every few minutes, one timer for all sockets. And it
keeps the presence of each table (`forum.realtime.presence`), announced as `presence`,
and runs the round tables' reminders (`forum.roundtables.timer`): each process looks at
the stored end times, and a conditional UPDATE lets one of them announce a turn's end.

Every hub also listens on `access`: `access.changed` names topics (or a space) whose
audience changed. The hub holds its subscriptions to them at once, so that nothing that
arrives after the signal is delivered, then checks each again with the rules of
subscribing (one reader session for all of them, one check per topic and kind of reader),
ends those that fail with `not_found` and lets the others catch up.

Long because the hub is where the process's live parts meet (the broker, the tail check,
account and access signals, the viewer cache, presence, the writers, periodic work); each
piece is short and they share one lifecycle, which splitting would scatter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter

from litestar.channels.subscriber import Subscriber
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum import streams
from forum.cafes.access import table_topic
from forum.cafes.clock import run_round_clock
from forum.cafes.writer import TableWriter
from forum.lib.db import database_unavailable
from forum.lib.errors import NotFound
from forum.lib.rate_limit import Allowances
from forum.realtime import replay, topics
from forum.realtime.bus import ChannelsPublisher, ForumChannels
from forum.realtime.connection import ERROR_CODE, REVALIDATE_SECONDS, Connection, State, Subscription
from forum.realtime.envelope import Envelope
from forum.realtime.presence import Presence
from forum.realtime.topics import presence_payload
from forum.roundtables.timer import run_reminders
from forum.settings import Settings
from forum.spaces.viewer_cache import ViewerCache
from forum.streams.signals import (
    ACCESS_CHANGED,
    ACCESS_CHANNEL,
    ACCOUNT_CHANGED,
    ACCOUNT_SUSPENDED,
    USER_PREFIX,
    user_channel,
)
from forum.threads.writer import PostWriter

log = logging.getLogger("forum.realtime")

# How often the hub checks the database for events the broker did not bring.
TAIL_CHECK_SECONDS = 10.0
# Topics per query of that check.
TAIL_CHECK_BATCH = 500
# Close code and reason every socket gets when the process shuts down.
RESTART_CODE = 1012
RESTART_REASON = "server restarting: reconnect and resume with after="
# How often the hub looks for sockets whose periodic re-read is due.
REVALIDATE_TICK_SECONDS = 5.0
# How often the hub reads the log while the broker is down.
DEGRADED_POLL_SECONDS = 1.0
# How long taking this process's users off the tables' presence may take at shutdown.
PRESENCE_CLOSE_SECONDS = 1.0


class Hub:
    def __init__(
        self,
        channels: ForumChannels,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        reader: async_sessionmaker[AsyncSession] | None = None,
        viewer_cache: ViewerCache | None = None,
    ) -> None:
        self.channels = channels
        # The viewers HTTP requests remember: every account signal heard forgets its user's.
        self.viewer_cache = viewer_cache
        # Sessions that write (a `send`), and sessions that only read (authorize, replay,
        # revalidate): on SQLite the readers never wait for the write lock.
        self.sessionmaker = sessionmaker
        self.reader = reader or sessionmaker
        # Thread posts and table messages of every socket, written together
        # (forum.threads.writer, forum.cafes.writer).
        self.post_writer = PostWriter(sessionmaker)
        self.table_writer = TableWriter(sessionmaker)
        self.settings = settings
        # Each user's socket sends, taken from the shared count in leases (Connection.send).
        self.send_allowances = Allowances()
        self.connections: set[Connection] = set()
        self.closing = False
        self._subscriber: Subscriber | None = None
        self._routes: dict[str, set[Subscription]] = {}
        self._users: dict[int, set[Connection]] = {}
        # How many local listeners (subscriptions, user sockets) each backend channel has.
        self._refs: Counter[str] = Counter()
        self.publisher = ChannelsPublisher(channels)
        self.presence = Presence(settings.redis_url)
        # Serializes backend subscribe/unsubscribe so a topic is never half-registered.
        self._lock = asyncio.Lock()
        self._seen: dict[str, int] = {}
        # Topics whose log was ahead of what the hub had seen live at the last tail check.
        self._ahead: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        # Subscriptions held until their access is checked again (an ordered set), and the
        # task that checks them.
        self._rechecks: dict[Subscription, None] = {}
        self._rechecking: asyncio.Task[None] | None = None
        self.access_epoch = 0

    # --- life -----------------------------------------------------------------------

    async def start(self) -> None:
        """Called once the channels plugin has started (an on_startup hook)."""
        self._subscriber = await self.channels.subscribe([])
        self._tasks = [
            asyncio.create_task(self._pump(), name="hub-pump"),
            asyncio.create_task(self._watch_tails(), name="hub-tails"),
            asyncio.create_task(self._revalidate_loop(), name="hub-revalidate"),
            asyncio.create_task(self._follow_broker(), name="hub-broker"),
            # Round tables: a turn's time is up (once, whichever process sees it first).
            asyncio.create_task(
                run_reminders(self.sessionmaker, self.reader), name="hub-roundtable-reminders"
            ),
            # Cafés: a round's one-minute warning and its end (once, whichever process first).
            asyncio.create_task(
                run_round_clock(self.sessionmaker, self.reader, self.present_at), name="hub-cafe-round-clock"
            ),
        ]
        if self.viewer_cache is not None:
            # Remembered viewers are trusted only once every account signal reaches us.
            self._tasks.append(asyncio.create_task(self._listen_for_access_early(), name="hub-access"))

    async def stop(self) -> None:
        """Tell every socket to reconnect elsewhere (1012), then stop listening."""
        self.closing = True
        for conn in list(self.connections):
            conn.close(RESTART_CODE, RESTART_REASON)
        waiting = [conn.wait_finished() for conn in list(self.connections)]
        if waiting:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)
        await self.post_writer.stop()
        await self.table_writer.stop()
        if self._rechecking is not None:
            self._tasks.append(self._rechecking)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        with contextlib.suppress(Exception):
            # Bounded: a Redis that does not answer must not hold the process's exit.
            await asyncio.wait_for(self.presence.close(), PRESENCE_CLOSE_SECONDS)

    @property
    def running(self) -> bool:
        return self._subscriber is not None and not self.closing

    # --- routing --------------------------------------------------------------------

    async def _acquire(self, channel: str) -> None:
        async with self._lock:
            self._refs[channel] += 1
            if self._refs[channel] == 1 and self._subscriber is not None:
                await self.channels.add_channels(self._subscriber, [channel])

    async def _release(self, channel: str) -> None:
        async with self._lock:
            if self._refs[channel] <= 0:
                return
            self._refs[channel] -= 1
            if self._refs[channel] == 0:
                del self._refs[channel]
                self._seen.pop(channel, None)
                if self._subscriber is not None:
                    await self.channels.remove_channels(self._subscriber, [channel])

    async def _listen_for_access(self) -> None:
        """Hear `access.changed` (forum.streams.signals) from the first subscription on.

        Not at start: the process starts (and answers /health) while the broker is down.
        """
        if self._refs[ACCESS_CHANNEL]:
            return
        async with self._lock:
            if self._refs[ACCESS_CHANNEL] or self._subscriber is None:
                return
            try:
                await self.channels.add_channels(self._subscriber, [ACCESS_CHANNEL])
            except Exception:
                # Leave no half-registered channel behind: the next subscription tries again.
                with contextlib.suppress(Exception):
                    await self.channels.remove_channels(self._subscriber, [ACCESS_CHANNEL])
                raise
            self._refs[ACCESS_CHANNEL] = 1

    @property
    def listening_for_access(self) -> bool:
        return bool(self._refs[ACCESS_CHANNEL])

    async def _listen_for_access_early(self) -> None:
        """Listen on `access` from the start, once the broker is up (subscribing while its
        first connection is being made could land on a connection that is then replaced),
        trying again while it refuses."""
        delay = 0.1
        status = self.channels.status
        while not self.listening_for_access:
            if not status.up:
                await status.changed(DEGRADED_POLL_SECONDS)
                continue
            try:
                await self._listen_for_access()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("listening for account signals waits for the broker (%s)", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def attach(self, sub: Subscription) -> None:
        """Route the topic's live events to `sub`; returns once the broker listens for it
        (and for changes of who may read it)."""
        self._routes.setdefault(sub.topic, set()).add(sub)
        await self._listen_for_access()
        await self._acquire(sub.topic)
        if sub.presence and sub.conn.viewer.id is not None:
            if sub.counted:
                sub.present_as = sub.conn.viewer.id
                await self.presence.join(sub.topic, sub.present_as)
            # Always announced, so the socket that just arrived (also one that only
            # observes) learns who is there too.
            await self._announce_presence(sub.topic)

    async def detach(self, sub: Subscription) -> None:
        routes = self._routes.get(sub.topic)
        if routes is None or sub not in routes:
            return
        routes.discard(sub)
        if not routes:
            del self._routes[sub.topic]
        if sub.present_as is not None:
            user_id, sub.present_as = sub.present_as, None
            if await self.presence.leave(sub.topic, user_id):
                await self._announce_presence(sub.topic)
        await self._release(sub.topic)

    async def present_at(self, table_ids: list[int]) -> set[int]:
        """Who is connected to any of these café tables now, across processes."""
        present: set[int] = set()
        for table_id in table_ids:
            present.update(await self.presence.members(table_topic(table_id)))
        return present

    async def _announce_presence(self, topic: str) -> None:
        users = await self.presence.members(topic)
        streams.signal(self.publisher, topic, "presence", presence_payload(topic, users))

    async def add_connection(self, conn: Connection) -> None:
        self.connections.add(conn)
        if conn.viewer.id is not None:
            self._users.setdefault(conn.viewer.id, set()).add(conn)
            await self._acquire(user_channel(conn.viewer.id))

    async def remove_connection(self, conn: Connection) -> None:
        self.connections.discard(conn)
        user_id = conn.listening_as
        if user_id is not None and conn in self._users.get(user_id, ()):
            self._users[user_id].discard(conn)
            if not self._users[user_id]:
                del self._users[user_id]
            await self._release(user_channel(user_id))

    def local_subscriptions(self, topic: str) -> int:
        return len(self._routes.get(topic, ()))

    # --- delivery -------------------------------------------------------------------

    def dispatch(self, env: Envelope) -> None:
        if env.topic == ACCESS_CHANNEL or env.topic.startswith(USER_PREFIX):
            if self.viewer_cache is not None:  # what HTTP requests remember of the account
                self.viewer_cache.forget(env.topic, env.data)
            if env.topic == ACCESS_CHANNEL:
                self._dispatch_access(env)
            else:
                self._dispatch_to_user(env)
            return
        if env.seq is not None and env.seq > self._seen.get(env.topic, 0):
            self._seen[env.topic] = env.seq
        for sub in list(self._routes.get(env.topic, ())):
            try:
                sub.deliver_live(env)
            except Exception:  # one broken socket must not stop the others
                log.exception("delivering %s #%s failed", env.topic, env.seq)

    def _dispatch_to_user(self, env: Envelope) -> None:
        user_id = int(env.topic.removeprefix(USER_PREFIX))
        for conn in list(self._users.get(user_id, ())):
            if env.type == ACCOUNT_SUSPENDED:
                conn.end_session(None)
            elif env.type == ACCOUNT_CHANGED:
                conn.revalidate_soon()

    def _dispatch_access(self, env: Envelope) -> None:
        """Who may read some topics, or a space's, changed: hold and check their subscriptions."""
        if env.type != ACCESS_CHANGED:
            return
        self.access_epoch += 1
        names = env.data.get("topics") or []
        space_id = env.data.get("space_id")
        held = [sub for name in names if isinstance(name, str) for sub in self._routes.get(name, ())]
        if isinstance(space_id, int):
            held.extend(sub for routes in self._routes.values() for sub in routes if sub.space_id == space_id)
        self.recheck(held)

    def recheck(self, subs: list[Subscription]) -> None:
        """Hold these subscriptions at once and check their access again soon.

        A subscription already waiting for a check is not held twice; one whose check is
        under way is held again and checked once more, since that check may have read the
        database before the change that asks for this one.
        """
        for sub in subs:
            if sub.state is State.STOPPED or sub in self._rechecks:
                continue
            sub.hold()
            self._rechecks[sub] = None
        if self._rechecks and (self._rechecking is None or self._rechecking.done()):
            self._rechecking = asyncio.create_task(self._recheck_all(), name="hub-recheck")

    async def _recheck_all(self) -> None:
        while self._rechecks:
            batch = list(self._rechecks)
            self._rechecks.clear()
            try:
                await self._recheck(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("checking %d subscriptions' access failed", len(batch))
                # Whether they may still read is unknown: never deliver on a guess. The
                # clients reconnect and subscribe again, which checks afresh.
                for sub in batch:
                    sub.conn.close(ERROR_CODE, "internal error while checking access; reconnect and resume")

    async def _recheck(self, batch: list[Subscription]) -> None:
        """Check each held subscription with the rules of subscribing; end those that fail."""
        verdicts: dict[tuple, int | NotFound | None] = {}
        # Each check covers the events that asked for it (see Subscription._moved), and
        # holds for the reader it was made for.
        through = {sub: sub.checking_through for sub in batch}
        readers = {sub: sub.conn.viewer for sub in batch}

        def key(sub: Subscription) -> tuple:
            # Many sockets of one topic share a few kinds of reader (anonymous, a role).
            viewer = readers[sub]
            return (sub.topic, viewer.id, viewer.role, viewer.moderated_space_ids)

        async with self.reader() as session:
            for sub in batch:
                if sub.state is State.STOPPED or key(sub) in verdicts:
                    continue
                try:
                    verdicts[key(sub)] = await topics.authorize(
                        session, readers[sub], topics.parse(sub.topic)
                    )
                except NotFound as exc:
                    verdicts[key(sub)] = exc
        for sub in batch:
            if sub.state is State.STOPPED:
                continue
            if sub.conn.viewer is not readers[sub]:
                # The socket's session was re-read meanwhile: check again for the reader it
                # has now (held again before this hold ends).
                self.recheck([sub])
                sub.release()
                continue
            verdict = verdicts[key(sub)]
            if isinstance(verdict, NotFound):
                await sub.conn.lose(sub, verdict)
                continue
            sub.allowed(verdict, through[sub])
            sub.release()

    async def _revalidate_loop(self) -> None:
        """Re-read each signed-in socket's session when its time comes (a safety net)."""
        while True:
            await asyncio.sleep(REVALIDATE_TICK_SECONDS)
            now = time.monotonic()
            for conn in list(self.connections):
                if conn.token is None or conn.revalidate_at > now:
                    continue
                conn.revalidate_at = now + REVALIDATE_SECONDS * random.uniform(0.75, 1.25)
                try:
                    await conn.revalidate()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not database_unavailable(exc):
                        log.exception("revalidating a socket failed")
                        continue
                    # The database is away: this socket and the rest wait for the next tick,
                    # instead of every socket failing (and logging) in turn.
                    conn.revalidate_at = now
                    log.warning("re-reading sessions waits for the database (%s)", type(exc).__name__)
                    break

    async def _pump(self) -> None:
        assert self._subscriber is not None
        async for raw in self._subscriber.iter_events():
            try:
                env = Envelope.from_wire(raw)
            except Exception:
                log.exception("dropping a broker message that is not an event")
                continue
            self.dispatch(env)

    async def _follow_broker(self) -> None:
        """While the broker is down, read the log every DEGRADED_POLL_SECONDS; once it is
        up again, read it once more (see the module)."""
        status = self.channels.status
        handled = status.transitions
        while True:
            if status.up and status.transitions == handled:
                await status.changed()
                continue
            handled = status.transitions
            try:
                await self.replay_missed()
                if status.up:
                    await self.presence.refresh()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if database_unavailable(exc):  # the next round tries again
                    log.warning(
                        "reading what the broker missed waits for the database (%s)", type(exc).__name__
                    )
                else:
                    log.exception("reading what the broker missed failed")
            if not status.up:
                await status.changed(DEGRADED_POLL_SECONDS)

    async def replay_missed(self) -> None:
        """Hand every subscription what the log holds beyond what it was sent.

        A topic a little behind is read once here and dispatched as if it came live (each
        subscription drops what it already has); one far behind sends its subscriptions to
        the log, each at its own socket's pace.
        """
        topics = list(self._routes)
        for start in range(0, len(topics), TAIL_CHECK_BATCH):
            batch = topics[start : start + TAIL_CHECK_BATCH]
            async with self.reader() as session:
                latest = await replay.latest_seqs(session, batch)
            for topic, seq in latest.items():
                subs = list(self._routes.get(topic, ()))
                if not subs:
                    continue
                floor = min(sub.last_sent for sub in subs)
                if seq > floor + replay.REPLAY_PAGE:
                    for sub in subs:
                        sub.poke(seq)
                elif seq > floor:
                    async with self.reader() as session:
                        missed = await replay.events_after(session, topic, floor, until=seq)
                    for env in missed:
                        self.dispatch(env)
                if seq > self._seen.get(topic, 0):
                    self._seen[topic] = seq

    async def _watch_tails(self) -> None:
        while True:
            await asyncio.sleep(TAIL_CHECK_SECONDS)
            try:
                await self.check_tails()
                await self.presence.refresh()
            except Exception as exc:
                if database_unavailable(exc):  # the next check tries again
                    log.warning("checking topic tails waits for the database (%s)", type(exc).__name__)
                else:
                    log.exception("checking topic tails failed")

    async def check_tails(self) -> None:
        """Poke the subscriptions of a topic whose log was already ahead of what arrived
        live at the previous check: its broker message had a whole period to come.

        Being ahead at one check alone is normal on a busy topic (an event committed but
        not yet dispatched); poking then would send every subscriber to the log at once.
        """
        topics = list(self._routes)
        ahead: dict[str, int] = {}
        for start in range(0, len(topics), TAIL_CHECK_BATCH):
            batch = topics[start : start + TAIL_CHECK_BATCH]
            async with self.reader() as session:
                latest = await replay.latest_seqs(session, batch)
            for topic, seq in latest.items():
                if seq <= self._seen.get(topic, 0):
                    continue
                overdue = self._ahead.get(topic)
                if overdue is not None and overdue > self._seen.get(topic, 0):
                    self._seen[topic] = seq
                    for sub in list(self._routes.get(topic, ())):
                        sub.poke(seq)
                else:
                    ahead[topic] = seq
        self._ahead = ahead

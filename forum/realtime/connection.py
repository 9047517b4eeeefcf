"""One websocket: its viewer, its bounded send queue, its subscriptions, its frames.

A connection runs one task of its own while idle: the reader (one client frame at a time,
each with a short database session of its own). Frames go straight onto the socket when it
can take them (`push`); only a socket that falls behind gets a writer task and a backlog,
bounded so that a client that stops reading is cut off instead of slowing anyone else.
The session behind a signed-in socket (token live, user not suspended, every subscribed
topic still readable) is re-read when the account changes and periodically by the hub.

A subscription never loses or repeats an event. It starts by catching up from the event
log (seq > after) while the hub already buffers its live events; then it drains that
buffer, dropping seqs already sent. Once live, an event whose seq is not the next one
(the broker reordered or lost one) sends it back to catching up from the log.

A subscription delivers nothing while its access is being checked again (it is `held`):
when who may read the topic changed (`access.changed`, handled by the hub), when the
account changed (the whole socket is held until its session is re-read), and when an
event names another space than the one the topic was allowed in (a moved thread whose
signal has not come, or never will). Events wait in its buffer meanwhile; a topic the
socket may no longer read ends with `not_found`, and its waiting events are dropped.

Long because a subscription and its connection share one life and one send queue: the
catch-up, the live path and the queue's back pressure are easier to check side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable
from datetime import datetime
from typing import Protocol

from litestar import WebSocket
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from forum.accounts import services as accounts
from forum.accounts.viewer import Viewer
from forum.lib.db import database_unavailable, utcnow
from forum.lib.errors import BadRequest, ForumError, NotFound, RateLimited, Unauthorized, Unavailable
from forum.lib.resilience import Backoff
from forum.lib.window import SlidingWindow
from forum.realtime import frames, replay, topics, wire
from forum.realtime.envelope import Envelope
from forum.realtime.frames import BadFrame, Outgoing
from forum.settings import Settings
from forum.spaces.viewers import load_viewer

log = logging.getLogger("forum.realtime")

# Frames waiting for one socket. A client that lets this many pile up is cut off (it
# resumes with `after=`); it never slows the hub or the other sockets.
SEND_QUEUE_MAX = 1000
# A replay fills the queue only to this mark, then waits for the client to read, so a
# long replay never crowds out live events of the socket's other topics.
REPLAY_HIGH_WATER = SEND_QUEUE_MAX // 2
# Live events one subscription buffers while it catches up; past this the buffer is
# dropped and the catch-up simply reads further in the log.
PENDING_MAX = 1000
# Topics one socket may hold at once.
MAX_SUBSCRIPTIONS = 200
# How often the hub re-reads a signed-in socket's token, user and topics. A safety net:
# account changes reach the socket's owner at once over `user:{id}` (see revalidate_soon),
# so it can be rare, which matters with thousands of idle sockets.
REVALIDATE_SECONDS = 120.0
# How long closing a socket may take before the connection is dropped anyway (a client
# that stopped reading only gets the close frame once it reads what was queued before).
CLOSE_TIMEOUT_SECONDS = 10.0
# Posts and table messages one socket may have being stored at once; reading waits beyond this.
MAX_SENDS_UNDER_WAY = 32
# The window of the `send` and `subscribe` limits (settings.ws_send_per_10s,
# ws_send_per_user_per_10s, ws_subscribe_per_10s).
SEND_WINDOW_SECONDS = 10.0
# A catch-up that finds the database away tries again after this, doubling up to the cap.
CATCH_UP_RETRY_FIRST_SECONDS = 0.5
CATCH_UP_RETRY_CAP_SECONDS = 5.0
# The app's store that counts each user's sends (Redis with several processes).
SEND_STORE = "ws_sends"

SLOW_CODE = 1013
SLOW_REASON = "too slow: the send queue is full; reconnect and resume with after="
ENDED_CODE = 1008
ENDED_REASON = "signed out or suspended"
ERROR_CODE = 1011


class State(enum.Enum):
    CATCHING_UP = "catching_up"
    LIVE = "live"
    # Delivering nothing until the socket's access to the topic is checked again.
    HELD = "held"
    STOPPED = "stopped"


class Subscription:
    """One topic on one socket, with the last seq handed to that socket."""

    __slots__ = (
        "checking_through",
        "cleared_through",
        "conn",
        "counted",
        "holds",
        "last_sent",
        "overflowed",
        "pending",
        "presence",
        "present_as",
        "space_id",
        "state",
        "task",
        "topic",
    )

    def __init__(
        self,
        conn: Connection,
        topic: str,
        after: int,
        *,
        presence: bool = False,
        counted: bool = True,
        space_id: int | None = None,
    ) -> None:
        self.conn = conn
        self.topic = topic
        # Table topics: the socket hears who is there; its user counts as present while
        # subscribed only if `counted` (a table's host or who sits there, not a moderator
        # looking at it: topics.counts_present).
        self.presence = presence
        self.counted = counted
        self.present_as: int | None = None
        self.last_sent = after
        self.state = State.CATCHING_UP
        self.pending: list[Envelope] = []
        self.overflowed = False
        self.task: asyncio.Task[None] | None = None
        # The space the topic was allowed in (None for `moderation`): an event naming
        # another one is held until the socket's access is checked again (`_moved`).
        self.space_id = space_id
        # Checks of this topic's access under way (`hold`/`release`); nothing is delivered
        # while there are any.
        self.holds = 0
        # Events up to this seq were covered by a check of the space they name; a check
        # under way covers those up to `checking_through`.
        self.cleared_through = 0
        self.checking_through = 0

    # --- holding while access is checked ------------------------------------------------

    def hold(self) -> None:
        """Deliver nothing (events wait in the buffer) until as many `release`s."""
        if self.state is State.STOPPED:
            return
        self.holds += 1
        self.state = State.HELD

    def release(self) -> None:
        """One check is done and the socket may still read the topic: once none is left,
        catch up from the log past the last seq sent (the buffer's events are there)."""
        if self.state is State.STOPPED or self.holds == 0:
            return
        self.holds -= 1
        if self.holds == 0:
            self.catch_up()

    def allowed(self, space_id: int | None, checked_through: int) -> None:
        """A check found the topic readable, in `space_id`, for events up to `checked_through`."""
        self.space_id = space_id
        self.cleared_through = max(self.cleared_through, checked_through)

    def _moved(self, env: Envelope) -> bool:
        """The event names another space than the one the topic was allowed in: the thread
        moved. Its signal may come later than the event (another process published it) or
        never (a broker message lost): the event waits for a check of the socket's access."""
        if env.space_id is None or self.space_id is None or env.space_id == self.space_id:
            return False
        return env.seq is not None and env.seq > self.cleared_through

    def _check_before(self, env: Envelope) -> None:
        assert env.seq is not None
        self.checking_through = max(self.checking_through, env.seq)
        self.conn.hub.recheck([self])

    # --- delivery -----------------------------------------------------------------------

    def deliver_live(self, env: Envelope) -> None:
        """Called by the hub for every live event of the topic; never waits."""
        if self.state is State.STOPPED:
            return
        if env.seq is None:  # a passing signal: live only, in no order
            if self.state is not State.HELD:
                self.conn.push(env.frame_for(self.conn.viewer))
            return
        if self.state is State.LIVE:
            if env.seq <= self.last_sent:
                return
            if env.seq == self.last_sent + 1 and self._moved(env):
                self.pending.append(env)
                self._check_before(env)
                return
            if env.seq == self.last_sent + 1:
                self.last_sent = env.seq
                self.conn.push(env.frame_for(self.conn.viewer))
                return
            # A gap: the missing events are in the log; fetch them, this one waits.
            self.pending.append(env)
            self.catch_up()
            return
        if len(self.pending) >= PENDING_MAX:
            self.pending.clear()
            self.overflowed = True
        else:
            self.pending.append(env)

    def poke(self, latest: int) -> None:
        """The log holds events up to `latest`: fetch them if this socket lacks some."""
        if self.state is State.LIVE and latest > self.last_sent:
            self.catch_up()

    def catch_up(self) -> None:
        if self.state is State.STOPPED:
            return
        if self.holds:
            # A check of the socket's access is under way: its release catches up.
            self.state = State.HELD
            return
        self.state = State.CATCHING_UP
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._catch_up(), name=f"catch-up {self.topic}")
            self.task.add_done_callback(self._forget_task)

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        # A finished task would otherwise stay referenced for the life of the socket.
        if self.task is task:
            self.task = None

    async def _catch_up(self) -> None:
        backoff = Backoff(CATCH_UP_RETRY_FIRST_SECONDS, CATCH_UP_RETRY_CAP_SECONDS)
        while True:
            try:
                await self._read_log()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not database_unavailable(exc):
                    log.exception("catching up %s failed", self.topic)
                    self.conn.close(ERROR_CODE, "internal error while replaying; reconnect and resume")
                    return
                # The database is away for a moment: the socket stays, live events buffer
                # meanwhile (or the log is read further if they overflow), and the catch-up
                # goes on from where it stopped.
                log.warning("catching up %s waits for the database (%s)", self.topic, type(exc).__name__)
                await asyncio.sleep(backoff.next())

    async def _read_log(self) -> None:
        """Send what the log holds past `last_sent`, then the buffered live events: LIVE."""
        while self.state is State.CATCHING_UP:
            self.overflowed = False
            async with self.conn.hub.reader() as session:
                page = await replay.events_after(session, self.topic, self.last_sent)
            for env in page:
                if env.seq is None or env.seq <= self.last_sent:
                    continue
                if self.state is not State.CATCHING_UP:
                    return  # held (its release catches up again) or stopped
                if self._moved(env):
                    self._check_before(env)
                    return
                await self.conn.room_for_replay()
                if self.state is not State.CATCHING_UP:
                    return
                self.conn.push(env.frame_for(self.conn.viewer))
                self.last_sent = env.seq
            if self.state is not State.CATCHING_UP:
                return
            if len(page) == replay.REPLAY_PAGE or self.overflowed:
                continue
            # The log is read to its end: now the buffered live events, in order.
            buffered = sorted(
                (env for env in self.pending if env.seq is not None and env.seq > self.last_sent),
                key=lambda env: env.seq or 0,
            )
            self.pending.clear()
            gap = False
            for env in buffered:
                if env.seq is None or env.seq <= self.last_sent:
                    continue
                if env.seq != self.last_sent + 1:
                    gap = True  # committed after our read: read the log again
                    break
                if self._moved(env):
                    # Held: the release reads the rest from the log.
                    self._check_before(env)
                    return
                self.last_sent = env.seq
                self.conn.push(env.frame_for(self.conn.viewer))
            if not gap and self.state is State.CATCHING_UP:
                self.state = State.LIVE

    async def stop(self) -> None:
        self.state = State.STOPPED
        self.pending.clear()
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.conn.hub.detach(self)


class Switchboard(topics.Writers, Protocol):
    """What a connection needs from its process's hub (`forum.realtime.hub.Hub`), which
    stands above this module: the hub routes events to connections and re-reads them."""

    settings: Settings
    # Sessions whose every statement is its own transaction: authorizing, replaying.
    reader: async_sessionmaker[AsyncSession]
    # Counts the `access.changed` signals heard: a subscribe that saw it change while it
    # authorized checks again.
    access_epoch: int

    def recheck(self, subs: list[Subscription]) -> None:
        """Hold these subscriptions and check their access again (ending those that lost it)."""
        ...

    async def attach(self, sub: Subscription) -> None: ...
    async def detach(self, sub: Subscription) -> None: ...
    async def add_connection(self, conn: Connection) -> None: ...
    async def remove_connection(self, conn: Connection) -> None: ...


class Connection:
    # Thousands of idle sockets: no per-instance dict, and queues and events are made only
    # when a socket needs them (a backlog, a replay to pace, a send to count).
    __slots__ = (
        "_backlog",
        "_close_code",
        "_close_reason",
        "_closing",
        "_drained",
        "_ended",
        "_finished",
        "_flush",
        "_refresh",
        "_refresh_again",
        "_rereads",
        "_sending",
        "_sends",
        "_subscribes",
        "_write_now",
        "_writer",
        "hub",
        "listening_as",
        "revalidate_at",
        "socket",
        "subs",
        "token",
        "token_expires_at",
        "viewer",
    )

    def __init__(
        self,
        socket: WebSocket,
        hub: Switchboard,
        viewer: Viewer,
        token: str | None,
        token_expires_at: datetime | None = None,
    ) -> None:
        self.socket = socket
        self.hub = hub
        self.viewer = viewer
        self.token = token
        self.token_expires_at = token_expires_at
        self.subs: dict[str, Subscription] = {}
        # Frames the socket has not taken yet, oldest first; the first one is in flight
        # while the writer sends it. None almost always: see `push`.
        self._backlog: deque[Outgoing] | None = None
        self._writer: asyncio.Task[None] | None = None
        # `forum.wire`'s write, when the server offers it (forum.realtime.wire).
        self._write_now = ((socket.scope.get("extensions") or {}).get(wire.EXTENSION) or {}).get("write")
        self._ended = False
        self._finished: asyncio.Future[None] | None = None
        self._drained: asyncio.Event | None = None
        self._closing = asyncio.Event()
        self._close_code: int | None = None
        self._close_reason = ""
        self._flush = False
        self._sends: SlidingWindow | None = None
        self._subscribes: SlidingWindow | None = None
        # Pipelined sends being stored (TopicRule.pipelined).
        self._sending: set[asyncio.Task[None]] | None = None
        self.listening_as: int | None = None
        # When the hub next re-reads this socket's session (Hub._revalidate_loop).
        self.revalidate_at = time.monotonic() + REVALIDATE_SECONDS * random.uniform(0.5, 1.0)
        self._refresh: asyncio.Task[None] | None = None
        self._refresh_again = False
        # Counts the signaled re-reads of the session (see `subscribe`).
        self._rereads = 0

    # --- the send queue -------------------------------------------------------------

    def push(self, frame: Outgoing) -> None:
        """Send a frame now if the socket can take it, else queue it; cut the socket off if
        it lets SEND_QUEUE_MAX frames pile up."""
        if self._closing.is_set():
            return
        # Straight onto the transport when nothing is waiting before it (order is kept).
        if not self._backlog and self._write_now is not None and self._write_now(frame.wire):
            return
        if self._backlog is None:
            self._backlog = deque()
        elif len(self._backlog) >= SEND_QUEUE_MAX:
            self.close(SLOW_CODE, SLOW_REASON)
            return
        self._backlog.append(frame)
        if self._writer is None:
            self._writer = asyncio.create_task(self._write_backlog(), name="ws-writer")

    def reply(self, frame: frames.ServerFrame) -> None:
        self.push(frames.encode(frame))

    async def room_for_replay(self) -> None:
        """Return once the client has read enough of what is queued to take more replay."""
        while self.backlog >= REPLAY_HIGH_WATER and not self._closing.is_set():
            if self._drained is None:
                self._drained = asyncio.Event()
            self._drained.clear()
            await self._drained.wait()

    async def _write_backlog(self) -> None:
        """Send the backlog in order, then end (a socket that keeps up needs no writer)."""
        backlog = self._backlog
        try:
            while backlog:
                frame = backlog[0]
                if self._write_now is None or not self._write_now(frame.wire):
                    await self.socket.send_text(frame.text)
                backlog.popleft()
                if self._drained is not None and len(backlog) < REPLAY_HIGH_WATER:
                    self._drained.set()
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer is gone
            self._closing.set()
        finally:
            self._writer = None
            if self._backlog is backlog and not backlog:
                self._backlog = None

    @property
    def writes_directly(self) -> bool:
        """Whether the server offers `forum.wire`'s write (forum serve's protocol does)."""
        return self._write_now is not None

    @property
    def backlog(self) -> int:
        """Frames waiting for this socket."""
        return len(self._backlog) if self._backlog is not None else 0

    @property
    def close_code(self) -> int | None:
        """The code this connection is closing with, once it is closing."""
        return self._close_code

    def close(self, code: int, reason: str, *, flush: bool = False) -> None:
        """End the connection with this close code (the first reason given wins).

        With `flush`, what is already queued (an error saying why) is sent first.
        """
        if not self._closing.is_set():
            self._close_code = code
            self._close_reason = reason
            self._flush = flush
            self._closing.set()
            if self._drained is not None:
                self._drained.set()

    async def wait_finished(self) -> None:
        """Return once the connection has ended and let go of everything it held."""
        if self._ended:
            return
        if self._finished is None:
            self._finished = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._finished)

    def end_session(self, ref: str | None) -> None:
        """The token was revoked or the user suspended: say so, then close."""
        self.reply(frames.Error(code="unauthorized", detail="this session has ended: sign in again", ref=ref))
        self.close(ENDED_CODE, ENDED_REASON, flush=True)

    # --- life -----------------------------------------------------------------------

    async def run(self) -> None:
        # The user this socket listens for on `user:{id}` (fixed at connect).
        self.listening_as = self.viewer.id
        await self.hub.add_connection(self)
        reader = asyncio.create_task(self._read_loop(), name="ws-reader")
        try:
            await self._closing.wait()
            writer = self._writer
            if self._flush and writer is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(writer), CLOSE_TIMEOUT_SECONDS)
        finally:
            for task in (reader, self._writer, self._refresh, *(self._sending or ())):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            self._backlog = None
            for sub in list(self.subs.values()):
                with contextlib.suppress(Exception):
                    await sub.stop()
            self.subs.clear()
            if self._close_code is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        self.socket.close(code=self._close_code, reason=self._close_reason),
                        CLOSE_TIMEOUT_SECONDS,
                    )
            with contextlib.suppress(Exception):
                await self.hub.remove_connection(self)
            self._ended = True
            if self._finished is not None and not self._finished.done():
                self._finished.set_result(None)

    async def _read_loop(self) -> None:
        try:
            while True:
                message = await self.socket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                raw = message.get("text")
                if raw is None:
                    raw = message.get("bytes") or b""
                await self.handle(raw)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.debug("socket read ended", exc_info=True)
        finally:
            self._closing.set()

    def revalidate_soon(self) -> None:
        """The user's account changed (a signal on `user:{id}`): re-read the session now.

        Every topic of the socket is held meanwhile, so that an event arriving after the
        change is judged with the new roles and moderated spaces, never the old ones.
        """
        if self._closing.is_set():
            return
        self._rereads += 1
        if self._refresh is not None:
            # A re-read under way may have read before this change: read once more after it.
            self._refresh_again = True
            return
        held = list(self.subs.values())
        for sub in held:
            sub.hold()
        self._refresh = asyncio.create_task(self._revalidate_now(held), name="ws-revalidate")

    async def _revalidate_now(self, held: list[Subscription]) -> None:
        try:
            again = True
            while again and not self._closing.is_set():
                self._refresh_again = False
                await self.revalidate()
                again = self._refresh_again
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if database_unavailable(exc):  # the hub's periodic re-read tries again
                log.warning("re-reading a session waits for the database (%s)", type(exc).__name__)
            else:
                log.exception("revalidating a socket failed")
                # What this socket may read is unknown: it reconnects and subscribes afresh.
                self.close(ERROR_CODE, "internal error while re-reading the session; reconnect and resume")
        finally:
            self._refresh = None
            for sub in held:
                sub.release()

    # --- frames ---------------------------------------------------------------------

    async def handle(self, raw: str | bytes) -> None:
        """Act on one client frame; every failure becomes an `error` frame."""
        ref: str | None = None
        try:
            frame = frames.decode(raw)
            if isinstance(frame, frames.Ping):
                self.reply(frames.Pong())
            elif isinstance(frame, frames.Subscribe):
                ref = frame.topic
                await self.subscribe(frame.topic, frame.after)
            elif isinstance(frame, frames.Unsubscribe):
                ref = frame.topic
                await self.unsubscribe(frame.topic)
            elif isinstance(frame, frames.Send):
                ref = frame.client_id
                await self.send(frame)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._reply_failure(exc, ref)

    def _reply_failure(self, exc: Exception, ref: str | None) -> None:
        """The one answer to a frame that failed: its error frame (logged if unexpected)."""
        if isinstance(exc, BadFrame):
            self.reply(frames.Error(code=exc.code, detail=exc.detail, ref=exc.ref))
        elif isinstance(exc, ForumError):
            self.reply(frames.error_for(exc, ref))
        elif database_unavailable(exc):
            log.warning("a websocket frame failed: the database is unavailable (%s)", type(exc).__name__)
            self.reply(
                frames.error_for(Unavailable("the database is unavailable; send it again shortly"), ref)
            )
        else:
            log.error("a websocket frame failed", exc_info=exc)
            self.reply(frames.Error(code="internal", detail="the server failed on this frame", ref=ref))

    async def subscribe(self, name: str, after: int | None) -> None:
        topic = topics.parse(name)
        self._check_subscribe_rate()
        if topic.name not in self.subs and len(self.subs) >= MAX_SUBSCRIPTIONS:
            raise BadRequest(f"one socket may hold at most {MAX_SUBSCRIPTIONS} topics: unsubscribe one first")
        # Authorize with the session as it is now: a re-read under way finishes first.
        if self._refresh is not None:
            await asyncio.shield(self._refresh)
        # Who may read what may change while this authorizes; then it is checked again below.
        epochs = (self.hub.access_epoch, self._rereads)
        async with self.hub.reader() as session:
            space_id = await topics.authorize(session, self.viewer, topic)
            present = await topics.counts_present(session, self.viewer, topic)
            latest = await replay.latest_seq(session, topic.name)
        old = self.subs.pop(topic.name, None)
        if old is not None:
            await old.stop()
        # Without `after` the socket starts at the present; an `after` beyond the log's end
        # (a client that kept a seq from another database) is read as the present.
        start = latest if after is None else min(after, latest)
        sub = Subscription(
            self, topic.name, start, presence=topic.rule.presence, counted=present, space_id=space_id
        )
        self.subs[topic.name] = sub
        self.reply(frames.Subscribed(topic=topic.name, seq=latest))
        # Live events buffer in `sub` from here on; the catch-up then reads the log past
        # `start`, so whatever committed before the broker listened is not lost.
        try:
            await self.hub.attach(sub)
        except Exception:
            # The broker refused: hold no half-made subscription.
            self.subs.pop(topic.name, None)
            await sub.stop()
            raise
        if (self.hub.access_epoch, self._rereads) != epochs:
            # Attached now, so from here on the hub would hold it for a change; one that
            # came while it authorized is checked here (it catches up once allowed).
            self.hub.recheck([sub])
        sub.catch_up()

    async def unsubscribe(self, name: str) -> None:
        sub = self.subs.pop(name, None)
        if sub is not None:
            await sub.stop()
        self.reply(frames.Unsubscribed(topic=name))

    async def _check_send_rate(self, user_id: int) -> None:
        """Refuse a send past the socket's limit, or past its user's over all their sockets."""
        settings = self.hub.settings
        if self._sends is None:
            self._sends = SlidingWindow(settings.ws_send_per_10s, SEND_WINDOW_SECONDS)
        # Checked now, recorded once the user's limit allows it too.
        wait = self._sends.wait()
        if wait is not None:
            raise RateLimited(
                f"at most {self._sends.limit} sends per {int(SEND_WINDOW_SECONDS)} seconds on one socket",
                retry_after=int(wait) + 1,
            )
        # Per user: opening more sockets must not multiply the limit. The count lives in
        # the app's store, so it is shared by the user's sockets in every process; a window
        # starts with the user's first send. It is taken from the store in leases, as the
        # HTTP rate limit's (forum.lib.rate_limit.Allowances): in one process the store is
        # asked once per user and window, not at every send (4 % of a busy server's time).
        user_limit = settings.ws_send_per_user_per_10s
        admission = await self.hub.send_allowances.admit(
            self.socket.app.stores.get(SEND_STORE), f"user:{user_id}", user_limit, int(SEND_WINDOW_SECONDS)
        )
        if not admission.admitted:
            raise RateLimited(
                f"at most {user_limit} sends per {int(SEND_WINDOW_SECONDS)} seconds from one user",
                retry_after=admission.reset,
            )
        self._sends.record()

    def _check_subscribe_rate(self) -> None:
        """Refuse a subscribe past the socket's limit: each one reads the database, so a
        client looping subscribe/unsubscribe must not make the server read without end."""
        if self._subscribes is None:
            self._subscribes = SlidingWindow(self.hub.settings.ws_subscribe_per_10s, SEND_WINDOW_SECONDS)
        wait = self._subscribes.take()
        if wait is not None:
            raise RateLimited(
                f"at most {self._subscribes.limit} subscribes per {int(SEND_WINDOW_SECONDS)} seconds "
                "on one socket",
                retry_after=int(wait) + 1,
            )

    async def send(self, frame: frames.Send) -> None:
        topic = topics.parse(frame.topic)
        if self.token is None or self.viewer.id is None:
            raise Unauthorized("sign in to send: connect with a Bearer token or the session cookie")
        await self._check_send_rate(self.viewer.id)
        # The socket's viewer is current: a change to the account (silence, role, spaces
        # moderated, sign-out) re-reads it at once (`revalidate_soon`), a suspension ends
        # the socket, and the hub re-reads every session periodically besides. A re-read
        # already under way finishes first.
        if self._refresh is not None:
            await asyncio.shield(self._refresh)
        if self.token_expires_at is not None and utcnow() >= self.token_expires_at:
            self.end_session(frame.client_id)
            return
        if self._closing.is_set():
            return
        storing = topics.send(self.hub, self.viewer, topic, frame.body, frame.client_id, frame.reply_to)
        if not topic.rule.pipelined:
            await self._acknowledge(frame, topic, storing)
            return
        # The next frame is read while this one is stored: a busy socket's messages then
        # share the writers' transactions. At most MAX_SENDS_UNDER_WAY at once.
        if self._sending is None:
            self._sending = set()
        while len(self._sending) >= MAX_SENDS_UNDER_WAY:
            await asyncio.wait(self._sending, return_when=asyncio.FIRST_COMPLETED)
        task = asyncio.create_task(self._acknowledge_safely(frame, topic, storing), name="ws-send")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _acknowledge(
        self, frame: frames.Send, topic: topics.Topic, storing: Awaitable[topics.Sent]
    ) -> None:
        sent = await storing
        seq = sent.seq
        if seq is None:  # a repeated client_id: the ack names the first send's event
            async with self.hub.reader() as session:
                seq = await replay.seq_of_created(
                    session, topic.name, topic.rule.created_type or "", sent.object_id
                )
        self.reply(frames.Ack(client_id=frame.client_id, seq=seq))

    async def _acknowledge_safely(
        self, frame: frames.Send, topic: topics.Topic, storing: Awaitable[topics.Sent]
    ) -> None:
        """`_acknowledge` in a task of its own: its failures become `error` frames here."""
        try:
            await self._acknowledge(frame, topic, storing)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._reply_failure(exc, frame.client_id)

    async def revalidate(self) -> None:
        """Stop a socket whose session ended; drop topics it may no longer read."""
        if self.token is None:
            return
        async with self.hub.reader() as session:
            found = await accounts.authenticate_until(session, self.token)
            if found is None:
                self.end_session(None)
                return
            user, self.token_expires_at = found
            self.viewer = await load_viewer(session, user, accounts.token_digest(self.token))
            lost: list[tuple[Subscription, NotFound]] = []
            for sub in list(self.subs.values()):
                try:
                    sub.space_id = await topics.authorize(session, self.viewer, topics.parse(sub.topic))
                except NotFound as exc:
                    lost.append((sub, exc))
        for sub, exc in lost:
            await self.lose(sub, exc)

    async def lose(self, sub: Subscription, exc: NotFound) -> None:
        """The socket may no longer read this subscription's topic: end it and say so
        (`not_found`, ref the topic); nothing more of it is delivered."""
        if self.subs.get(sub.topic) is not sub:
            return  # unsubscribed or subscribed again meanwhile
        del self.subs[sub.topic]
        await sub.stop()
        self.reply(frames.error_for(exc, sub.topic))

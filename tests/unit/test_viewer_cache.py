"""The process's memory of tokens' viewers (forum.spaces.viewer_cache): what it forgets, and
that it serves nothing stored before the broker's state changed."""

from __future__ import annotations

from datetime import timedelta

from forum.accounts.models import User
from forum.accounts.viewer import Viewer
from forum.lib.db import utcnow
from forum.spaces.viewer_cache import ViewerCache
from forum.streams.log import StreamEvent
from forum.streams.signals import ACCESS_CHANNEL, ACCOUNT_CHANGED, user_channel

LATER = utcnow() + timedelta(days=1)


def viewer(user_id: int) -> Viewer:
    return Viewer(user=User(id=user_id, role="observer"), token_hash=f"digest-{user_id}")


class Broker:
    """Stands for the edge's `trusted` answer: the broker's epoch, or None while it is down."""

    def __init__(self) -> None:
        self.epoch: int | None = 0

    def __call__(self) -> int | None:
        return self.epoch


def test_a_viewer_is_served_until_an_account_signal_names_its_user() -> None:
    cache = ViewerCache()
    cache.put("a", viewer(1), LATER)
    cache.put("b", viewer(1), LATER)  # a second token of the same user
    cache.put("c", viewer(2), LATER)
    assert cache.get("a") is not None and cache.get("c") is not None

    cache.forget(ACCESS_CHANNEL, {"user_id": 1})
    assert cache.get("a") is None and cache.get("b") is None
    assert cache.get("c") is not None
    cache.forget(user_channel(2), {"user_id": 2})
    assert cache.get("c") is None


def test_nothing_stored_before_an_outage_is_served_after_it() -> None:
    broker = Broker()
    cache = ViewerCache(broker)
    cache.put("a", viewer(1), LATER)
    assert cache.get("a") is not None

    broker.epoch = None  # down: signals may be lost, nothing is served or stored
    assert cache.get("a") is None
    cache.put("a", viewer(1), LATER)
    assert len(cache) == 0

    broker.epoch = 2  # up again: a new epoch, and only what is stored from now on
    assert cache.get("a") is None
    cache.put("a", viewer(1), LATER)
    assert cache.get("a") is not None


def test_an_entry_never_outlives_its_token_and_the_cache_stays_bounded() -> None:
    cache = ViewerCache(max_entries=2)
    cache.put("gone", viewer(1), utcnow() - timedelta(seconds=1))
    assert cache.get("gone") is None
    for name in ("a", "b", "c"):
        cache.put(name, viewer(ord(name)), LATER)
    assert len(cache) == 2 and cache.get("a") is None and cache.get("c") is not None


def test_off_when_its_time_is_zero() -> None:
    cache = ViewerCache(ttl=0)
    cache.put("a", viewer(1), LATER)
    assert cache.get("a") is None


def test_the_process_s_own_signals_are_forgotten_as_they_are_published() -> None:
    published: list[list[StreamEvent]] = []

    class Collect:
        def publish(self, events: list[StreamEvent]) -> None:
            published.append(events)

    cache = ViewerCache()
    cache.put("a", viewer(1), LATER)
    publisher = cache.watching(Collect())
    event = StreamEvent(topic="thread:1", seq=3, type="post.created", data={})
    publisher.publish([event])
    assert cache.get("a") is not None  # an event of a topic changes no viewer
    signal = StreamEvent(topic=ACCESS_CHANNEL, seq=None, type=ACCOUNT_CHANGED, data={"user_id": 1})
    publisher.publish([signal])
    assert cache.get("a") is None
    assert published == [[event], [signal]]

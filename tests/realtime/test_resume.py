"""Order and resume: seq 1..N with no gap and no duplicate, whatever the senders do."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession

from forum import streams
from forum.lib.db import create_engine, make_sessionmaker
from forum.settings import Settings
from tests.conftest import Cast, Persona, make_space, make_thread
from tests.helpers import join, setup
from tests.realtime.conftest import Live, Peer, expect_nothing_before_marker

WS_SENDERS = 3
HTTP_SENDERS = 2
EACH = 8


async def ws_sender(live: Live, who: Persona, topic: str, tag: str) -> list[int]:
    peer = await live.peer(who)
    acks = []
    for i in range(EACH):
        await peer.send(op="send", topic=topic, body=f"{tag} #{i}", client_id=f"{tag}-{i}")
        ack = await peer.expect("ack", client_id=f"{tag}-{i}")
        acks.append(ack["seq"])
    await peer.close()
    return acks


async def http_sender(live: Live, who: Persona, thread_id: int, tag: str) -> list[int]:
    numbers = []
    for i in range(EACH):
        post = await live.post(who, thread_id, f"{tag} #{i}", client_id=f"{tag}-{i}")
        numbers.append(post["number"])
    return numbers


def seqs(frames: list[dict]) -> list[int]:
    return [f["seq"] for f in frames]


async def test_concurrent_senders_give_every_subscriber_1_to_n_and_late_ones_the_rest(
    live: Live, cast: Cast, people
) -> None:
    await make_space(live.http, cast.admin, "round-table")
    thread = await make_thread(live.http, cast.focal_point, "round-table")
    topic = f"thread:{thread['id']}"
    early = await live.peer(cast.moderator)
    await early.subscribe(topic, after=0)
    writers = [await people.make("lcipp") for _ in range(WS_SENDERS + HTTP_SENDERS)]

    results = await asyncio.gather(
        *(ws_sender(live, writers[i], topic, f"ws{i}") for i in range(WS_SENDERS)),
        *(http_sender(live, writers[WS_SENDERS + i], thread["id"], f"http{i}") for i in range(HTTP_SENDERS)),
    )
    total = 1 + (WS_SENDERS + HTTP_SENDERS) * EACH
    got = await early.events_until(topic, total)
    assert seqs(got) == list(range(1, total + 1))
    # Every send was acked with the seq of its own event, each seq once.
    by_seq = {f["seq"]: f for f in got}
    acked = [seq for acks in results[:WS_SENDERS] for seq in acks]
    assert len(set(acked)) == len(acked) == WS_SENDERS * EACH
    for i, acks in enumerate(results[:WS_SENDERS]):
        assert [by_seq[s]["data"]["client_id"] for s in acks] == [f"ws{i}-{n}" for n in range(EACH)]
    # Post numbers and seqs agree here: one event per post.
    assert sorted(n for nums in results[WS_SENDERS:] for n in nums) == sorted(
        by_seq[s]["data"]["number"]
        for s in by_seq
        if (by_seq[s]["data"]["client_id"] or "").startswith("http")
    )

    seen_by_early = total
    for k in (0, 7, seen_by_early - 1, seen_by_early):
        late = await live.peer(cast.observer)
        sub = await late.subscribe(topic, after=k)
        assert sub["seq"] == total
        replayed = await late.events_until(topic, total) if k < total else []
        assert seqs(replayed) == list(range(k + 1, total + 1))
        # Then live, without a duplicate: the post after is the next thing it hears.
        await live.post(cast.focal_point, thread["id"], f"after replay from {k}")
        total += 1
        (fresh,) = await late.events_until(topic, total)
        assert fresh["seq"] == total
        await live.post(cast.focal_point, thread["id"], f"marker after replay from {k}")
        total += 1
        await expect_nothing_before_marker(late, topic=topic, seq=total)
        await late.close()
    assert seqs(await early.events_until(topic, total)) == list(range(seen_by_early + 1, total + 1))


async def test_resume_after_a_disconnect_in_the_middle_of_a_burst(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "ecotourism")
    thread = await make_thread(live.http, cast.focal_point, "ecotourism")
    topic = f"thread:{thread['id']}"
    burst = 40

    async def write() -> None:
        for i in range(burst):
            await live.post(cast.lcipp, thread["id"], f"burst {i}")

    reader = await live.peer(cast.observer)
    await reader.subscribe(topic, after=0)
    writing = asyncio.create_task(write())
    seen = [f["seq"] for f in await reader.events_until(topic, 10)]
    await reader.close()  # gone in the middle of the burst
    again = await live.peer(cast.observer)
    await again.subscribe(topic, after=seen[-1])
    await writing
    rest = await again.events_until(topic, burst + 1)
    combined = seen + seqs(rest)
    assert combined == list(range(1, burst + 2))


async def test_a_gap_in_live_delivery_is_filled_from_the_log(
    live: Live, cast: Cast, settings: Settings, db: AsyncSession
) -> None:
    """An event stored but never published (a lost broker message) still arrives."""
    await make_space(live.http, cast.admin, "subaru-cities")
    thread = await make_thread(live.http, cast.focal_point, "subaru-cities")
    topic = f"thread:{thread['id']}"
    peer = await live.peer(cast.observer)
    await peer.subscribe(topic)

    engine = create_engine(settings)
    try:
        # A session with no publisher: the event is stored, nothing is announced.
        async with make_sessionmaker(engine)() as quiet_session:
            await streams.append(quiet_session, topic, "thread.note", {"text": "stored only"})
            await quiet_session.commit()
        # The next published event reveals the gap; the missing one is read from the log.
        await live.post(cast.focal_point, thread["id"], "published")
        got = await peer.events_until(topic, 3)
        assert [(f["seq"], f["type"]) for f in got] == [(2, "thread.note"), (3, "post.created")]

        # A lost last event with nothing after it: the hub's tail check finds it.
        async with make_sessionmaker(engine)() as quiet_session:
            await streams.append(quiet_session, topic, "thread.note", {"text": "the tail"})
            await quiet_session.commit()
        # The first check sees the log ahead; the next, a period later, pokes.
        await live.app.state.hub.check_tails()
        await live.app.state.hub.check_tails()
        (tail,) = await peer.events_until(topic, 4)
        assert tail["data"] == {"text": "the tail"}
    finally:
        await engine.dispose()


async def test_subscribing_twice_restarts_from_the_new_after(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "twice")
    thread = await make_thread(live.http, cast.focal_point, "twice")
    topic = f"thread:{thread['id']}"
    for i in range(3):
        await live.post(cast.focal_point, thread["id"], f"p{i}")
    peer: Peer = await live.peer(cast.observer)
    await peer.subscribe(topic, after=2)
    assert seqs(await peer.events_until(topic, 4)) == [3, 4]
    await peer.subscribe(topic, after=0)
    assert seqs(await peer.events_until(topic, 4)) == [1, 2, 3, 4]
    # An `after` beyond the end reads as the present.
    await peer.subscribe(topic, after=999)
    await live.post(cast.focal_point, thread["id"], "next")
    assert seqs(await peer.events_until(topic, 5)) == [5]


async def test_a_long_replay_is_sent_whole_in_pages(live: Live, cast: Cast, settings: Settings) -> None:
    await make_space(live.http, cast.admin, "long")
    thread = await make_thread(live.http, cast.focal_point, "long")
    topic = f"thread:{thread['id']}"
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            for i in range(1200):
                await streams.append(session, topic, "thread.note", {"i": i})
            await session.commit()
    finally:
        await engine.dispose()
    peer = await live.peer(cast.observer)
    await peer.subscribe(topic, after=0)
    assert seqs(await peer.events_until(topic, 1201)) == list(range(1, 1202))


async def test_concurrent_senders_at_a_cafe_table_are_written_together_in_order(
    live: Live, cast: Cast, people
) -> None:
    cafe, hosts = await setup(live.http, cast, people, tables=1)
    participants = [await people.make("observer") for _ in range(2)]
    table_ids = {await join(live.http, cafe["id"], who) for who in participants}
    (table_id,) = table_ids
    topic = f"table:{table_id}"
    reader = await live.peer(hosts[0])
    await reader.subscribe(topic, after=0)
    senders = [await live.peer(who) for who in (hosts[0], *participants)]
    # Every sender fires its whole burst before reading an ack, so the process's table
    # writer gets many messages at once and stores them in shared transactions.
    for n in range(EACH):
        for s, peer in enumerate(senders):
            await peer.send(op="send", topic=topic, body=f"s{s} #{n}", client_id=f"s{s}-{n}")
    acks = {
        f"s{s}-{n}": (await peer.expect("ack", client_id=f"s{s}-{n}"))["seq"]
        for s, peer in enumerate(senders)
        for n in range(EACH)
    }
    got = [f for f in await reader.events_until(topic, max(acks.values())) if f["type"] == "message.created"]
    by_client = {f["data"]["client_id"]: f for f in got}
    assert set(by_client) == set(acks)
    # Each ack names its own message's event; numbers run 1..N with no gap or repeat.
    assert all(by_client[cid]["seq"] == seq for cid, seq in acks.items())
    assert sorted(f["data"]["number"] for f in got) == list(range(1, len(acks) + 1))
    # One sender's messages keep the order it sent them in.
    for s in range(len(senders)):
        numbers = [by_client[f"s{s}-{n}"]["data"]["number"] for n in range(EACH)]
        assert numbers == sorted(numbers)

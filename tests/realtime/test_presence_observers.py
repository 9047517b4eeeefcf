"""Who is "here now" at a café table: its host and who sits there, not a moderator looking.

Two (and three) real sockets against the running service: a moderator of the space may read
any table, but their subscription observes; it hears who is there and is never counted.
"""

from __future__ import annotations

from tests.conftest import Cast, make_space
from tests.helpers import create_cafe, join
from tests.realtime.conftest import Live


async def test_a_moderator_looking_at_a_table_is_not_here_now(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "workshop-63", kind="workshop")
    cafe = await create_cafe(live.http, cast.moderator, [cast.focal_point], slug="workshop-63")
    table_id = cafe["tables"][0]["id"]
    topic = f"table:{table_id}"

    host = await live.peer(cast.focal_point)
    await host.subscribe(topic)
    first = await host.expect("event", topic=topic, type="presence")
    assert first["data"]["user_ids"] == [cast.focal_point.id]

    # The moderator looks: they learn who is there, and they are not among them.
    looker = await live.peer(cast.moderator)
    await looker.subscribe(topic)
    seen = await looker.expect("event", topic=topic, type="presence")
    assert seen["data"]["user_ids"] == [cast.focal_point.id]

    # A participant sits down: the next presence the host hears has them, not the moderator.
    assert await join(live.http, cafe["id"], cast.observer) == table_id
    guest = await live.peer(cast.observer)
    await guest.subscribe(topic)
    expected = sorted([cast.focal_point.id, cast.observer.id])
    heard = await host.expect("event", topic=topic, type="presence")
    while heard["data"]["user_ids"] == [cast.focal_point.id]:  # the looker's own arrival
        heard = await host.expect("event", topic=topic, type="presence")
    assert heard["data"]["user_ids"] == expected
    assert (await looker.expect("event", topic=topic, type="presence"))["data"]["user_ids"] == expected

    # The moderator leaving changes nothing anyone is told about who is there.
    await looker.close()
    await guest.close()
    left = await host.expect("event", topic=topic, type="presence")
    assert left["data"]["user_ids"] == [cast.focal_point.id]
    await host.close()


async def test_a_moderator_seated_at_the_table_counts(live: Live, cast: Cast) -> None:
    await make_space(live.http, cast.admin, "workshop-64", kind="workshop")
    cafe = await create_cafe(live.http, cast.moderator, [cast.focal_point], slug="workshop-64")
    table_id = cafe["tables"][0]["id"]
    topic = f"table:{table_id}"
    # A moderator who joins the café as a participant sits there like anyone else.
    assert await join(live.http, cafe["id"], cast.moderator) == table_id
    host = await live.peer(cast.focal_point)
    await host.subscribe(topic)
    await host.expect("event", topic=topic, type="presence")
    seated = await live.peer(cast.moderator)
    await seated.subscribe(topic)
    heard = await host.expect("event", topic=topic, type="presence")
    assert heard["data"]["user_ids"] == sorted([cast.focal_point.id, cast.moderator.id])
    await seated.close()
    await host.close()

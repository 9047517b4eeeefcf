"""Archives as data: a closed café's tables and a closed round table keep, beside their
English Markdown, the record a client words in its reader's language (Post.archive)."""

from __future__ import annotations

from datetime import datetime

from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from forum.threads.schemas import archive_title
from tests.conftest import Cast, People
from tests.helpers import create_cafe, join, say, workshop
from tests.integration.test_roundtables import ask, chair, open_rt, set_organisation


def test_an_archive_title_does_not_repeat_itself() -> None:
    assert archive_title("World café", "Demo world café: the NMAs") == "Demo world café: the NMAs"
    assert archive_title("World café", "Demo World Cafe") == "Demo World Cafe"
    assert archive_title("World café", "Sharing  NMA\nexperiences") == "World café: Sharing NMA experiences"
    assert archive_title("Round table", "How do NMAs reach communities?") == (
        "Round table: How do NMAs reach communities?"
    )
    assert len(archive_title("World café", "x" * 500)) == 200


async def test_a_cafe_table_keeps_its_record(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await workshop(client, cast)
    host = await people.make("focal_point", name="Hana *Host*")
    cafe = await create_cafe(client, cast.moderator, [host])
    table = await join(client, cafe["id"], cast.observer)
    first = (await say(client, table, cast.observer, "Payments for **ecosystem** services")).json()
    hidden = (await say(client, table, cast.observer, "something abusive")).json()
    resp = await client.post(
        f"/api/table-messages/{hidden['id']}/hide",
        json={"reason": "abusive"},
        headers=cast.moderator.headers,
    )
    assert resp.status_code in (200, 204), resp.text
    await client.put(f"/api/tables/{table}/harvest", json={"body": "Trust *first*"}, headers=host.headers)
    thread_id = (await client.post(f"/api/cafes/{cafe['id']}/close", headers=cast.moderator.headers)).json()[
        "thread_id"
    ]
    thread = (await client.get(f"/api/threads/{thread_id}")).json()
    assert thread["title"] == "World café: Sharing NMA experiences"
    [post] = (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"]
    record = post["archive"]
    assert record["kind"] == "cafe_table"
    assert record["cafe"] == {"id": cafe["id"], "title": "Sharing NMA experiences"}
    assert record["table"]["position"] == 1 and record["table"]["topic"] == cafe["tables"][0]["topic"]
    assert record["host"] == {"id": host.id, "display_name": "Hana *Host*"}
    assert record["harvest_html"] == "<p>Trust <em>first</em></p>\n"
    shown, gone = record["messages"]
    assert shown["number"] == first["number"] and shown["author"]["id"] == cast.observer.id
    assert shown["html"] == "<p>Payments for <strong>ecosystem</strong> services</p>\n"
    assert datetime.fromisoformat(shown["created_at"]).utcoffset() is not None
    assert gone["hidden"] is True and gone["html"] == "" and "abusive" not in str(record)
    # The Markdown keeps the text, for search and for clients that read only it.
    assert "Payments for **ecosystem** services" in post["body"] and "Harvest" in post["body"]
    search = (await client.get("/api/search", params={"q": "ecosystem"})).json()
    assert any((hit.get("thread") or {}).get("id") == thread_id for hit in search["items"]), search

    # An edit makes the record untrue: it is dropped; a deletion hides it with the text.
    edited = await client.patch(
        f"/api/posts/{post['id']}", json={"body": "Edited by hand"}, headers=cast.moderator.headers
    )
    assert edited.status_code == 200 and edited.json()["archive"] is None
    assert (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"][0]["archive"] is None
    # Stored as SQL NULL (not JSON null), like every post people write.
    nulls = (await db.execute(text("SELECT count(*) FROM posts WHERE archive IS NOT NULL"))).scalar_one()
    assert nulls == 0


async def test_a_deleted_archive_post_shows_no_record(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await workshop(client, cast)
    host = await people.make("focal_point", name="Host")
    cafe = await create_cafe(client, cast.moderator, [host])
    thread_id = (await client.post(f"/api/cafes/{cafe['id']}/close", headers=cast.moderator.headers)).json()[
        "thread_id"
    ]
    [post] = (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"]
    assert post["archive"]["messages"] == [] and post["archive"]["harvest_html"] == ""
    assert (
        await client.delete(f"/api/posts/{post['id']}", headers=cast.moderator.headers)
    ).status_code == 204
    [gone] = (await client.get(f"/api/threads/{thread_id}/posts", headers=cast.moderator.headers)).json()[
        "items"
    ]
    assert gone["archive"] is None and gone["body"] == ""


async def test_a_round_table_keeps_its_record_and_an_anonymous_speaker_stays_unnamed(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await workshop(client, cast)
    mys = await people.make("focal_point", name="Aida", party="MYS")
    await set_organisation(client, cast.admin, cast.observer, "CGIAR")
    rt = await open_rt(client, cast.moderator)
    await ask(client, rt, mys, capacity="party")
    await ask(client, rt, cast.observer, capacity="observer", attribution="anonymous")
    view = await chair(client, rt, cast.moderator, "floor")
    await client.put(
        f"/api/interventions/{view['floor']['id']}/summary",
        json={"summary": "Certificates reward *conservation*."},
        headers=mys.headers,
    )
    await chair(client, rt, cast.moderator, "end-turn")
    await chair(client, rt, cast.moderator, "floor")
    await chair(client, rt, cast.moderator, "end-turn")
    thread_id = (
        await client.post(f"/api/roundtables/{rt['id']}/close", headers=cast.moderator.headers)
    ).json()["thread_id"]
    [post] = (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"]
    record = post["archive"]
    assert record["kind"] == "roundtable" and record["first"] is True
    assert record["roundtable"]["question"] == rt["question"] and record["roundtable"]["interventions"] == 2
    party, anonymous = record["interventions"]
    assert party["attribution"] == {
        "kind": "party",
        "code": "MYS",
        "anonymous": False,
        "name": "Malaysia",
        "region": "MY",
    }
    assert party["summary_html"] == "<p>Certificates reward <em>conservation</em>.</p>\n"
    assert anonymous["attribution"] == {"anonymous": True} and anonymous["summary_html"] == ""
    assert "Aida" not in str(record) and "CGIAR" not in str(record)

"""Moderators hiding and unhiding café table messages."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from tests.conftest import Cast, People, Persona, make_space
from tests.helpers import create_cafe, events, join


async def messages(client: AsyncTestClient, table_id: int, who: Persona) -> list[dict]:
    resp = await client.get(f"/api/tables/{table_id}/messages", headers=who.headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_hide_and_unhide_a_table_message(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "workshop", kind="workshop")
    await make_space(client, cast.admin, "elsewhere")
    other_mod = await people.make("lcipp")
    await client.put(
        "/api/spaces/elsewhere/moderators", json={"user_ids": [other_mod.id]}, headers=cast.admin.headers
    )
    cafe_id = (await create_cafe(client, cast.moderator, [cast.focal_point], slug="workshop"))["id"]
    table_id = await join(client, cafe_id, cast.observer)
    await join(client, cafe_id, cast.other_observer)
    sent = await client.post(
        f"/api/tables/{table_id}/messages", json={"body": "rude words"}, headers=cast.observer.headers
    )
    assert sent.status_code == 201, sent.text
    message_id = sent.json()["id"]

    url = f"/api/table-messages/{message_id}"
    assert (await client.post(f"{url}/hide", json={"reason": "x"})).status_code == 401
    # The table's host and the participants do not moderate; another space's moderator
    # may not even read this table.
    for who in (cast.focal_point, cast.other_observer):
        assert (
            await client.post(f"{url}/hide", json={"reason": "x"}, headers=who.headers)
        ).status_code == 403
    assert (
        await client.post(f"{url}/hide", json={"reason": "x"}, headers=other_mod.headers)
    ).status_code in (403, 404)
    blank = await client.post(f"{url}/hide", json={"reason": "  "}, headers=cast.moderator.headers)
    assert blank.status_code in (400, 422) and blank.json()["field"] == "reason"
    assert (
        await client.post("/api/table-messages/99999/hide", json={"reason": "x"}, headers=cast.admin.headers)
    ).status_code == 404

    hidden = await client.post(
        f"{url}/hide", json={"reason": "keep it civil"}, headers=cast.moderator.headers
    )
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["status"] == "hidden" and hidden.json()["moderation_reason"] == "keep it civil"
    assert message_id not in [m["id"] for m in await messages(client, table_id, cast.other_observer)]
    mine = [m for m in await messages(client, table_id, cast.observer) if m["id"] == message_id]
    assert mine and mine[0]["moderation_reason"] == "keep it civil"

    shown = await client.post(f"{url}/unhide", headers=cast.moderator.headers)
    assert shown.status_code == 200 and shown.json()["status"] == "published"
    assert message_id in [m["id"] for m in await messages(client, table_id, cast.other_observer)]

    actions = [
        e.action
        for e in (await db.scalars(select(AuditEntry).where(AuditEntry.target_type == "message"))).all()
    ]
    assert actions == ["message.hide", "message.unhide"]
    evs = await events(db, f"table:{table_id}")
    assert [e.type for e in evs][-2:] == ["message.hidden", "message.updated"]
    assert evs[-2].restricted and "body" not in (evs[-2].public_data or {})

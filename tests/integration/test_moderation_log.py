"""The audit log: every moderator action and role change once, read-only, per moderator."""

from __future__ import annotations

from collections import Counter

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from tests.conftest import Cast, People, Persona, make_space, make_thread


async def read_log(client: AsyncTestClient, who: Persona, query: str = "") -> list[dict]:
    """Every entry the caller may read, following the cursor."""
    items: list[dict] = []
    cursor = None
    while True:
        sep = "&" if "?" in query else "?"
        url = f"/api/moderation/log{query}{sep}limit=3" + (f"&cursor={cursor}" if cursor else "")
        resp = await client.get(url, headers=who.headers)
        assert resp.status_code == 200, resp.text
        items += resp.json()["items"]
        cursor = resp.json()["next"]
        if cursor is None:
            return items


async def stored_counts(db: AsyncSession) -> Counter:
    return Counter(e.action for e in (await db.scalars(select(AuditEntry))).all())


async def test_every_action_is_logged_exactly_once(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    """A day of moderation over HTTP; then count the rows per action."""
    admin, mod = cast.admin, cast.moderator
    await make_space(client, admin, "nma", moderation="pre")
    await make_space(client, admin, "general", moderation="post", kind="general")
    space_mod = await people.make("focal_point")
    await client.put("/api/spaces/nma/moderators", json={"user_ids": [space_mod.id]}, headers=admin.headers)
    await client.patch(
        f"/api/users/{cast.observer.id}", json={"organisation": "CGIAR"}, headers=admin.headers
    )
    await client.patch(f"/api/users/{cast.other_observer.id}", json={"role": "lcipp"}, headers=admin.headers)

    thread = await make_thread(client, cast.lcipp, "nma")
    p1 = (
        await client.post(
            f"/api/threads/{thread['id']}/posts", json={"body": "a"}, headers=cast.observer.headers
        )
    ).json()
    p2 = (
        await client.post(
            f"/api/threads/{thread['id']}/posts", json={"body": "b"}, headers=cast.observer.headers
        )
    ).json()
    assert (
        await client.post(f"/api/posts/{p1['id']}/approve", json={"body": "A"}, headers=space_mod.headers)
    ).status_code == 200
    assert (
        await client.post(
            f"/api/posts/{p2['id']}/reject", json={"reason": "duplicate"}, headers=space_mod.headers
        )
    ).status_code == 200
    assert (
        await client.post(f"/api/posts/{p1['id']}/hide", json={"reason": "later"}, headers=mod.headers)
    ).status_code == 200
    assert (await client.post(f"/api/posts/{p1['id']}/unhide", headers=mod.headers)).status_code == 200
    for change in ({"pinned": True}, {"locked": True}, {"title": "Renamed"}, {"space": "general"}):
        resp = await client.patch(
            f"/api/threads/{thread['id']}", json=change | {"reason": "tidy"}, headers=mod.headers
        )
        assert resp.status_code == 200, resp.text
    body = {"reason": "cool off", "duration_seconds": 600}
    assert (
        await client.post(f"/api/users/{cast.focal_point.id}/silence", json=body, headers=space_mod.headers)
    ).status_code == 200
    assert (
        await client.delete(f"/api/users/{cast.focal_point.id}/silence", headers=mod.headers)
    ).status_code == 200
    assert (
        await client.post(f"/api/users/{cast.observer.id}/suspend", json=body, headers=mod.headers)
    ).status_code == 200
    assert (
        await client.delete(f"/api/users/{cast.observer.id}/suspend", headers=admin.headers)
    ).status_code == 200
    # Refused and conflicting requests log nothing.
    assert (await client.post(f"/api/posts/{p1['id']}/approve", headers=mod.headers)).status_code == 409
    assert (
        await client.post(f"/api/users/{admin.id}/suspend", json=body, headers=mod.headers)
    ).status_code == 403
    assert (
        await client.patch(f"/api/threads/{thread['id']}", json={"pinned": True}, headers=mod.headers)
    ).status_code == 200

    assert await stored_counts(db) == Counter(
        {
            "space.create": 2,
            "space.moderators": 1,
            "user.update": 2,
            "post.approve": 1,
            "post.reject": 1,
            "post.hide": 1,
            "post.unhide": 1,
            "thread.pin": 1,
            "thread.lock": 1,
            "thread.rename": 1,
            "thread.move": 1,
            "user.silence": 1,
            "user.unsilence": 1,
            "user.suspend": 1,
            "user.unsuspend": 1,
        }
    )
    # The same, read over HTTP by a global moderator: newest first, with who did it.
    entries = await read_log(client, mod)
    assert len(entries) == 17
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    assert Counter(e["action"] for e in entries) == await stored_counts(db)
    role_change = next(e for e in entries if e["action"] == "user.update" and e["after"]["role"] == "lcipp")
    assert role_change["before"]["role"] == "observer"
    assert role_change["actor"]["id"] == admin.id
    assert role_change["target"]["type"] == "user" and role_change["target"]["id"] == cast.other_observer.id
    reject = next(e for e in entries if e["action"] == "post.reject")
    assert reject["reason"] == "duplicate" and reject["space"] == "nma"
    assert reject["actor"] == {
        "id": space_mod.id,
        "display_name": space_mod.name,
        "role": "focal_point",
        "party": "JPN",
    }
    assert reject["before"]["status"] == "pending" and reject["after"]["status"] == "hidden"
    assert reject["at"].endswith("Z")
    move = next(e for e in entries if e["action"] == "thread.move")
    assert move["before"] == {"space": "nma"} and move["after"] == {"space": "general"}

    # Filters.
    assert {e["action"] for e in await read_log(client, mod, f"?actor={space_mod.id}")} == {
        "post.approve",
        "post.reject",
        "user.silence",
    }
    assert [e["action"] for e in await read_log(client, mod, "?action=post.hide")] == ["post.hide"]
    assert {e["space"] for e in await read_log(client, mod, "?space=nma")} == {"nma"}

    # A space moderator reads their space's entries and their own actions, nothing else.
    theirs = await read_log(client, space_mod)
    assert all(e["space"] == "nma" or e["actor"]["id"] == space_mod.id for e in theirs)
    assert {e["action"] for e in theirs} >= {"post.approve", "post.reject", "post.hide", "user.silence"}
    assert not any(e["action"] in ("user.update", "user.suspend") for e in theirs)
    assert (
        await client.get("/api/moderation/log?space=general", headers=space_mod.headers)
    ).status_code == 403
    one = theirs[0]["id"]
    assert (await client.get(f"/api/moderation/log/{one}", headers=space_mod.headers)).json()["id"] == one
    role_id = role_change["id"]
    assert (await client.get(f"/api/moderation/log/{role_id}", headers=space_mod.headers)).status_code == 404
    assert (await client.get(f"/api/moderation/log/{role_id}", headers=admin.headers)).status_code == 200


async def test_log_is_for_moderators_and_never_edited(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "nma")
    assert (await client.get("/api/moderation/log")).status_code == 401
    for who in (cast.observer, cast.focal_point, cast.lcipp):
        assert (await client.get("/api/moderation/log", headers=who.headers)).status_code == 403
    entry_id = (await db.scalars(select(AuditEntry.id))).one()
    for url in ("/api/moderation/log", f"/api/moderation/log/{entry_id}"):
        for method in ("PUT", "PATCH", "DELETE", "POST"):
            resp = await client.request(method, url, json={"action": "nothing"}, headers=cast.admin.headers)
            assert resp.status_code == 405, (method, url)
    stored = await db.get(AuditEntry, entry_id)
    assert stored is not None and stored.action == "space.create"
    for bad in ("?limit=0", "?cursor=%%%", "?actor=me", "?space=nowhere"):
        resp = await client.get(f"/api/moderation/log{bad}", headers=cast.admin.headers)
        assert resp.status_code in (400, 404, 422), bad

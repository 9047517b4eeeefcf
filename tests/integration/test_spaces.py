"""Spaces: who creates them, what is validated, and the restricted-space visibility rule."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from forum.spaces.models import Space, SpaceModerator
from tests.conftest import Cast, Persona, make_space, make_thread
from tests.helpers import assert_problem, count

SPACE = {
    "slug": "lcipp-dialogue",
    "title": "LCIPP dialogue",
    "kind": "general",
    "moderation": "pre",
    "visibility": "public",
}


async def test_admin_creates_a_space(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    resp = await client.post(
        "/api/spaces", json={**SPACE, "allowed_roles": ["lcipp", "lcipp"]}, headers=cast.admin.headers
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    for key in ("slug", "title", "kind", "moderation", "visibility"):
        assert body[key] == SPACE[key]
    assert body["allowed_roles"] == ["lcipp"]
    assert body["moderator_ids"] == []
    assert await count(db, Space) == 1
    assert await count(db, AuditEntry, AuditEntry.action == "space.create") == 1
    assert (await client.get("/api/spaces/lcipp-dialogue")).json()["title"] == "LCIPP dialogue"


async def test_only_admins_create_spaces(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    for who in (cast.moderator, cast.focal_point, cast.lcipp, cast.observer):
        assert_problem(await client.post("/api/spaces", json=SPACE, headers=who.headers), 403)
    assert_problem(await client.post("/api/spaces", json=SPACE), 401)
    assert await count(db, Space) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "party"}, "kind"),
        ({"moderation": "none"}, "moderation"),
        ({"visibility": "secret"}, "visibility"),
        ({"allowed_roles": ["king"]}, "allowed_roles"),
        ({"allowed_roles": "lcipp"}, "allowed_roles"),
        ({"slug": "Has Spaces"}, "slug"),
        ({"slug": "x"}, "slug"),
        ({"slug": "-leading"}, "slug"),
        ({"slug": "a" * 65}, "slug"),
        ({"title": ""}, "title"),
        ({"title": "t" * 201}, "title"),
        ({"kind": None}, "kind"),
    ],
)
async def test_space_fields_are_validated(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, change: dict, field: str
) -> None:
    resp = await client.post("/api/spaces", json={**SPACE, **change}, headers=cast.admin.headers)
    assert_problem(resp, (400, 422), names=field)
    assert await count(db, Space) == 0
    assert await count(db, AuditEntry) == 0


async def test_missing_field_is_named(client: AsyncTestClient, cast: Cast) -> None:
    body = {k: v for k, v in SPACE.items() if k != "visibility"}
    assert_problem(
        await client.post("/api/spaces", json=body, headers=cast.admin.headers), 400, names="visibility"
    )


async def test_duplicate_slug_is_a_conflict(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    resp = await client.post(
        "/api/spaces", json={**SPACE, "slug": "agora", "title": "Other"}, headers=cast.admin.headers
    )
    assert_problem(resp, 409, names="agora")
    assert await count(db, Space) == 1


# The restricted-space rule


@pytest.fixture
async def restricted(client: AsyncTestClient, cast: Cast, people) -> dict:
    """A restricted space for LCIPP representatives, moderated by an observer, with a thread."""
    space = await make_space(
        client, cast.admin, "lcipp-only", visibility="restricted", allowed_roles=["lcipp"], kind="general"
    )
    space_mod = await people.make("observer", name="Space Moderator")
    resp = await client.put(
        "/api/spaces/lcipp-only/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    await make_space(client, cast.admin, "open")
    thread = await make_thread(
        client, cast.lcipp, "lcipp-only", title="Knowledge systems", body="Secret words"
    )
    post = (await client.get(f"/api/threads/{thread['id']}/posts", headers=cast.lcipp.headers)).json()[
        "items"
    ][0]
    edit = await client.patch(
        f"/api/posts/{post['id']}", json={"body": "Edited words"}, headers=cast.lcipp.headers
    )
    assert edit.status_code == 200
    return {"space": space, "thread": thread, "post": post, "space_mod": space_mod}


def _seers(cast: Cast, restricted: dict) -> list[Persona]:
    return [cast.lcipp, restricted["space_mod"], cast.moderator, cast.admin]


def _outsiders(cast: Cast) -> list[Persona | None]:
    return [None, cast.observer, cast.focal_point]


async def test_restricted_space_is_visible_to_allowed_roles_its_moderators_and_global_staff(
    client: AsyncTestClient, cast: Cast, restricted: dict
) -> None:
    tid, pid = restricted["thread"]["id"], restricted["post"]["id"]
    for who in _seers(cast, restricted):
        h = who.headers
        slugs = [s["slug"] for s in (await client.get("/api/spaces", headers=h)).json()["items"]]
        assert "lcipp-only" in slugs, who.role
        assert (await client.get("/api/spaces/lcipp-only", headers=h)).status_code == 200
        threads = (await client.get("/api/spaces/lcipp-only/threads", headers=h)).json()["items"]
        assert [t["id"] for t in threads] == [tid]
        assert (await client.get(f"/api/threads/{tid}", headers=h)).status_code == 200
        posts = (await client.get(f"/api/threads/{tid}/posts", headers=h)).json()["items"]
        assert posts[0]["body"] == "Edited words"
        assert (await client.get(f"/api/posts/{pid}", headers=h)).status_code == 200
        revisions = (await client.get(f"/api/posts/{pid}/revisions", headers=h)).json()["items"]
        assert [r["body"] for r in revisions] == ["Secret words"]


async def test_restricted_space_does_not_exist_for_others(
    client: AsyncTestClient, db: AsyncSession, cast: Cast, restricted: dict
) -> None:
    tid, pid = restricted["thread"]["id"], restricted["post"]["id"]
    for who in _outsiders(cast):
        h = who.headers if who else {}
        listing = (await client.get("/api/spaces", headers=h)).json()["items"]
        assert [s["slug"] for s in listing] == ["open"]
        for path in (
            "/api/spaces/lcipp-only",
            "/api/spaces/lcipp-only/threads",
            f"/api/threads/{tid}",
            f"/api/threads/{tid}/posts",
            f"/api/posts/{pid}",
            f"/api/posts/{pid}/revisions",
        ):
            body = assert_problem(await client.get(path, headers=h), 404)
            assert "Secret" not in str(body) and "Knowledge" not in str(body)
        if who is None:
            continue
        # Writes are 404 too, and change nothing.
        assert_problem(
            await client.post("/api/spaces/lcipp-only/threads", json={"title": "t", "body": "b"}, headers=h),
            404,
        )
        assert_problem(await client.post(f"/api/threads/{tid}/posts", json={"body": "b"}, headers=h), 404)
        assert_problem(await client.patch(f"/api/posts/{pid}", json={"body": "mine"}, headers=h), 404)
        assert_problem(await client.delete(f"/api/posts/{pid}", headers=h), 404)
        assert_problem(await client.patch(f"/api/threads/{tid}", json={"pinned": True}, headers=h), 404)
    # The not-found answer is the same as for a space that does not exist.
    missing = (await client.get("/api/spaces/never-was", headers=cast.observer.headers)).json()
    hidden = (await client.get("/api/spaces/lcipp-only", headers=cast.observer.headers)).json()
    assert missing["status"] == hidden["status"] and missing["title"] == hidden["title"]


async def test_a_role_change_opens_and_closes_the_restricted_space(
    client: AsyncTestClient, cast: Cast, restricted: dict
) -> None:
    h = cast.observer.headers
    assert_problem(await client.get("/api/spaces/lcipp-only", headers=h), 404)
    await client.patch(f"/api/users/{cast.observer.id}", json={"role": "lcipp"}, headers=cast.admin.headers)
    assert (await client.get("/api/spaces/lcipp-only", headers=h)).status_code == 200
    await client.patch(
        f"/api/users/{cast.observer.id}", json={"role": "observer"}, headers=cast.admin.headers
    )
    assert_problem(await client.get("/api/spaces/lcipp-only", headers=h), 404)


# Moderators of a space


async def test_admin_names_the_moderators_and_it_is_audited(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "bolivia-nma")
    resp = await client.put(
        "/api/spaces/bolivia-nma/moderators",
        json={"user_ids": [cast.focal_point.id, cast.lcipp.id, cast.lcipp.id]},
        headers=cast.admin.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["moderator_ids"] == sorted([cast.focal_point.id, cast.lcipp.id])
    assert (await client.get("/api/spaces/bolivia-nma")).json()["moderator_ids"] == sorted(
        [cast.focal_point.id, cast.lcipp.id]
    )
    assert await count(db, SpaceModerator) == 2
    entries = (await db.scalars(select(AuditEntry).where(AuditEntry.action == "space.moderators"))).all()
    assert len(entries) == 1
    assert entries[0].actor_id == cast.admin.id
    assert entries[0].after == {"moderator_ids": sorted([cast.focal_point.id, cast.lcipp.id])}
    await db.rollback()
    # Replacing the list replaces it; the same list again writes no new entry.
    resp = await client.put(
        "/api/spaces/bolivia-nma/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    assert resp.json()["moderator_ids"] == [cast.lcipp.id]
    resp = await client.put(
        "/api/spaces/bolivia-nma/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200
    assert await count(db, AuditEntry, AuditEntry.action == "space.moderators") == 2
    assert await count(db, SpaceModerator) == 1


async def test_only_admins_name_moderators(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    for who in (cast.moderator, cast.focal_point, cast.lcipp, cast.observer):
        resp = await client.put(
            "/api/spaces/agora/moderators", json={"user_ids": [who.id]}, headers=who.headers
        )
        assert_problem(resp, 403)
    assert_problem(await client.put("/api/spaces/agora/moderators", json={"user_ids": []}), 401)
    assert await count(db, SpaceModerator) == 0


async def test_unknown_moderator_id_is_refused(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    await client.put(
        "/api/spaces/agora/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    resp = await client.put(
        "/api/spaces/agora/moderators",
        json={"user_ids": [cast.observer.id, 987654]},
        headers=cast.admin.headers,
    )
    assert_problem(resp, 422, names="user_ids")
    # Nothing changed: the old list stands.
    assert (await client.get("/api/spaces/agora")).json()["moderator_ids"] == [cast.lcipp.id]
    assert await count(db, AuditEntry, AuditEntry.action == "space.moderators") == 1


async def test_a_space_moderator_moderates_only_that_space(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "mine")
    await make_space(client, cast.admin, "theirs")
    await client.put(
        "/api/spaces/mine/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    mine = await make_thread(client, cast.observer, "mine")
    theirs = await make_thread(client, cast.observer, "theirs")
    resp = await client.patch(f"/api/threads/{mine['id']}", json={"pinned": True}, headers=cast.lcipp.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["pinned"] is True
    assert_problem(
        await client.patch(f"/api/threads/{theirs['id']}", json={"pinned": True}, headers=cast.lcipp.headers),
        403,
    )

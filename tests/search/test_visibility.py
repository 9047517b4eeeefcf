"""Search never returns, counts or quotes what the caller may not read: the role matrix.

Every marker word below sits in one text; each row says who must find it. The same rule as
the lists: restricted spaces, others' pending and hidden posts, deleted text, earlier
revisions, messages of a table the caller never sat at, a thread moved into a restricted
space.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import create_cafe, join, make_post, say

ROLES = (
    "anonymous",
    "observer",  # the author of the pending and hidden posts and of the table message
    "other_observer",
    "focal_point",
    "lcipp",
    "space_moderator",  # moderates the workshop space
    "moderator_elsewhere",  # moderates another space only
    "moderator",  # the global moderator role
    "admin",
    "host",  # hosts the table where the message was said
)
EVERYONE = set(ROLES)
GLOBAL = {"moderator", "admin"}

# marker word -> the roles that must find it (every other role must not)
EXPECTED = {
    "publicword": EVERYONE,
    "titleword": EVERYONE,
    "restrictedword": {"lcipp"} | GLOBAL,
    "pendingword": {"observer", "space_moderator"} | GLOBAL,
    "hiddenword": {"observer", "space_moderator"} | GLOBAL,
    "deletedword": set(),
    "oldrevisionword": set(),
    "newrevisionword": EVERYONE,
    "tableword": {"observer", "host", "space_moderator"} | GLOBAL,
    "harvestword": EVERYONE,
    "movedword": {"lcipp"} | GLOBAL,
}


@dataclass
class World:
    who: dict[str, Persona | None]


@pytest.fixture
async def world(client: httpx.AsyncClient, cast: Cast, people: People) -> World:
    admin, mod = cast.admin, cast.moderator
    space_mod = await people.make("focal_point", name="Space Moderator")
    elsewhere = await people.make("focal_point", name="Moderator Elsewhere")
    host = await people.make("focal_point", name="Host")
    await make_space(client, admin, "workshop", kind="workshop", moderation="pre")
    await make_space(client, admin, "elsewhere")
    await make_space(client, admin, "lcipp-only", visibility="restricted", allowed_roles=["lcipp"])
    for slug, who in (("workshop", space_mod), ("elsewhere", elsewhere)):
        resp = await client.put(
            f"/api/spaces/{slug}/moderators", json={"user_ids": [who.id]}, headers=admin.headers
        )
        assert resp.status_code == 200, resp.text

    thread = await make_thread(
        client,
        cast.focal_point,
        "workshop",
        title="The titleword sharedterm thread",
        body="sharedterm publicword",
    )
    await make_thread(client, cast.lcipp, "lcipp-only", title="Closed", body="sharedterm restrictedword")
    # Observers' posts wait in this pre-moderated space.
    pending = await make_post(client, cast.observer, thread["id"], "sharedterm pendingword")
    assert pending["status"] == "pending"
    hidden = await make_post(client, cast.observer, thread["id"], "sharedterm hiddenword")
    resp = await client.post(f"/api/posts/{hidden['id']}/approve", json={}, headers=mod.headers)
    assert resp.status_code == 200, resp.text
    resp = await client.post(
        f"/api/posts/{hidden['id']}/hide", json={"reason": "off topic"}, headers=mod.headers
    )
    assert resp.status_code == 200, resp.text
    deleted = await make_post(client, cast.focal_point, thread["id"], "sharedterm deletedword")
    resp = await client.delete(f"/api/posts/{deleted['id']}", headers=cast.focal_point.headers)
    assert resp.status_code == 204, resp.text
    edited = await make_post(client, cast.focal_point, thread["id"], "sharedterm oldrevisionword")
    resp = await client.patch(
        f"/api/posts/{edited['id']}",
        json={"body": "sharedterm newrevisionword"},
        headers=cast.focal_point.headers,
    )
    assert resp.status_code == 200, resp.text
    moved = await make_thread(
        client, cast.focal_point, "workshop", title="To be moved", body="sharedterm movedword"
    )
    resp = await client.patch(
        f"/api/threads/{moved['id']}", json={"space": "lcipp-only"}, headers=admin.headers
    )
    assert resp.status_code == 200, resp.text

    cafe = await create_cafe(client, mod, [host], slug="workshop")
    table_id = await join(client, cafe["id"], cast.observer)
    resp = await say(client, table_id, cast.observer, "sharedterm tableword")
    assert resp.status_code == 201, resp.text
    resp = await client.put(
        f"/api/tables/{table_id}/harvest", json={"body": "sharedterm harvestword"}, headers=host.headers
    )
    assert resp.status_code == 200, resp.text
    return World(
        who={
            "anonymous": None,
            "observer": cast.observer,
            "other_observer": cast.other_observer,
            "focal_point": cast.focal_point,
            "lcipp": cast.lcipp,
            "space_moderator": space_mod,
            "moderator_elsewhere": elsewhere,
            "moderator": mod,
            "admin": admin,
            "host": host,
        }
    )


async def search(client: httpx.AsyncClient, who: Persona | None, q: str, **params: str) -> list[dict]:
    resp = await client.get("/api/search", params={"q": q, **params}, headers=who.headers if who else {})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_the_role_matrix(client: httpx.AsyncClient, world: World) -> None:
    wrong = []
    for word, roles in EXPECTED.items():
        for role in ROLES:
            hits = await search(client, world.who[role], word)
            if bool(hits) != (role in roles):
                wrong.append(f"{role} {'found' if hits else 'did not find'} {word!r}")
            for hit in hits:
                # Nothing else leaks through the snippet either.
                assert word in hit["snippet"], hit
    assert not wrong, "\n".join(wrong)


async def test_one_query_over_everything_returns_only_what_is_readable(
    client: httpx.AsyncClient, world: World
) -> None:
    # Every marked text holds "sharedterm": each role's hits are exactly what it may read.
    for role in ROLES:
        hits = await search(client, world.who[role], "sharedterm", limit="100")
        seen = {word for hit in hits for word in EXPECTED if word in hit["snippet"]}
        readable = {word for word, roles in EXPECTED.items() if role in roles}
        assert seen == readable, role
        assert len(hits) == len(readable), role


async def test_a_space_the_caller_cannot_see_is_no_filter(client: httpx.AsyncClient, world: World) -> None:
    resp = await client.get("/api/search", params={"q": "restrictedword", "space": "lcipp-only"})
    assert resp.status_code == 400
    assert resp.json()["field"] == "space"
    hits = await search(client, world.who["lcipp"], "restrictedword", space="lcipp-only")
    assert [h["space"]["slug"] for h in hits] == ["lcipp-only"]

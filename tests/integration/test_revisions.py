"""Who may read a post's earlier texts: a revision keeps the visibility of the post status
it was written under.

A text replaced while the post was pending or hidden was only ever readable by its author
and the space's moderators; publishing the post later (approve, unhide) must not publish
that text through `GET /api/posts/{id}/revisions`. Every role is asked.
"""

from __future__ import annotations

from dataclasses import dataclass

from litestar.testing import AsyncTestClient

from tests.conftest import Cast, People, Persona, make_space, make_thread
from tests.helpers import make_post


@dataclass
class Readers:
    """Who asks: those who may read every revision, and those who may not."""

    insiders: list[Persona]
    outsiders: list[Persona | None]


async def pre_space(client: AsyncTestClient, cast: Cast, people: People, slug: str) -> Readers:
    """A pre-moderated public space with a named moderator (a focal point)."""
    await make_space(client, cast.admin, slug, moderation="pre")
    space_mod = await people.make("focal_point", name="Space moderator")
    resp = await client.put(
        f"/api/spaces/{slug}/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    # The observer is the author of every post below.
    return Readers(
        insiders=[cast.observer, space_mod, cast.moderator, cast.admin],
        outsiders=[None, cast.other_observer, cast.focal_point, cast.lcipp],
    )


async def revision_bodies(client: AsyncTestClient, post_id: int, who: Persona | None) -> list[str]:
    resp = await client.get(f"/api/posts/{post_id}/revisions", headers=who.headers if who else {})
    assert resp.status_code == 200, resp.text
    return [r["body"] for r in resp.json()["items"]]


async def test_approving_with_a_correction_keeps_the_original_from_everyone_but_author_and_moderators(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    readers = await pre_space(client, cast, people, "pre-space")
    thread = await make_thread(client, cast.focal_point, "pre-space")
    post = await make_post(client, cast.observer, thread["id"], "my phone number is 555-0100")
    assert post["status"] == "pending"
    resp = await client.post(
        f"/api/posts/{post['id']}/approve", json={"body": "[number removed]"}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "published"

    for who in readers.insiders:
        assert await revision_bodies(client, post["id"], who) == ["my phone number is 555-0100"], who.role
    for who in readers.outsiders:
        assert await revision_bodies(client, post["id"], who) == [], who.role if who else "anonymous"


async def test_an_authors_edits_while_pending_stay_private_after_approval(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    readers = await pre_space(client, cast, people, "pre-space")
    thread = await make_thread(client, cast.focal_point, "pre-space")
    post = await make_post(client, cast.observer, thread["id"], "first draft, with a name in it")
    edit = await client.patch(
        f"/api/posts/{post['id']}", json={"body": "second draft"}, headers=cast.observer.headers
    )
    assert edit.status_code == 200, edit.text
    approve = await client.post(f"/api/posts/{post['id']}/approve", headers=cast.moderator.headers)
    assert approve.status_code == 200, approve.text
    # Edited once published: that text was public, and its revision is too.
    edit = await client.patch(
        f"/api/posts/{post['id']}", json={"body": "third"}, headers=cast.observer.headers
    )
    assert edit.status_code == 200, edit.text

    for who in readers.insiders:
        assert await revision_bodies(client, post["id"], who) == [
            "first draft, with a name in it",
            "second draft",
        ], who.role
    for who in readers.outsiders:
        assert await revision_bodies(client, post["id"], who) == ["second draft"], (
            who.role if who else "anonymous"
        )


async def test_a_text_replaced_while_hidden_stays_private_once_unhidden(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    readers = await pre_space(client, cast, people, "pre-space")
    thread = await make_thread(client, cast.focal_point, "pre-space")
    post = await make_post(client, cast.observer, thread["id"], "published text")
    approve = await client.post(f"/api/posts/{post['id']}/approve", headers=cast.moderator.headers)
    assert approve.status_code == 200, approve.text
    hide = await client.post(
        f"/api/posts/{post['id']}/hide", json={"reason": "insulting"}, headers=cast.moderator.headers
    )
    assert hide.status_code == 200, hide.text
    # The author rewrites the hidden post twice, then a moderator publishes it again.
    for body in ("insult, reworded", "polite"):
        edit = await client.patch(
            f"/api/posts/{post['id']}", json={"body": body}, headers=cast.observer.headers
        )
        assert edit.status_code == 200, edit.text
    unhide = await client.post(f"/api/posts/{post['id']}/unhide", headers=cast.moderator.headers)
    assert unhide.status_code == 200, unhide.text

    # "published text" was replaced while the post was hidden: a moderator hid what it said.
    for who in readers.insiders:
        assert await revision_bodies(client, post["id"], who) == [
            "published text",
            "insult, reworded",
        ], who.role
    for who in readers.outsiders:
        assert await revision_bodies(client, post["id"], who) == [], who.role if who else "anonymous"

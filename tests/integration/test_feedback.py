"""Polls over HTTP: attaching one, answering and changing the answer, the results (live for
moderators, after the close for the others), who may do what, bad input, and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from forum.audit.models import AuditEntry
from forum.feedback.models import Poll
from tests.conftest import Cast, Persona, make_space
from tests.helpers import WORKSHOP, assert_problem, count, events, workshop

QUESTIONS = [
    {"kind": "single_choice", "prompt": "Was the workshop useful?", "choices": ["Yes", "Partly", "No"]},
    {"kind": "rating", "prompt": "Rate the world café"},
    {"kind": "text", "prompt": "What should the next workshop do differently?"},
]


def later(minutes: int = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def make_poll(client: AsyncTestClient, who: Persona, *, slug: str = WORKSHOP, **body: object) -> dict:
    payload = {"title": "Feedback on the workshop", "questions": QUESTIONS, "closes_at": later()} | body
    resp = await client.post(f"/api/spaces/{slug}/polls", json=payload, headers=who.headers)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def answer(client: AsyncTestClient, poll: dict, who: Persona, answers: list) -> dict:
    resp = await client.put(
        f"/api/polls/{poll['id']}/response", json={"answers": answers}, headers=who.headers
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


async def close(db: AsyncSession, poll: dict) -> None:
    past = datetime.now(UTC) - timedelta(seconds=1)
    await db.execute(
        update(Poll).where(Poll.id == poll["id"]).values(closes_at=past, opens_at=past - timedelta(hours=1))
    )


async def test_answer_change_results_and_close(client: AsyncTestClient, cast: Cast, db: AsyncSession) -> None:
    await workshop(client, cast)
    poll = await make_poll(client, cast.moderator, anonymous=False)
    assert poll["state"] == "open" and poll["responses"] == 0 and poll["my_answers"] is None
    assert poll["results_visible"] is True
    assert await count(db, AuditEntry, AuditEntry.action == "poll.create") == 1

    seen = await answer(client, poll, cast.focal_point, [0, 4, "More time for the café"])
    assert seen["my_answers"] == [0, 4, "More time for the café"] and seen["results_visible"] is False
    await answer(client, poll, cast.lcipp, [1, 5, None])
    # Changing one's answer replaces it; it is still one response.
    again = await answer(client, poll, cast.focal_point, [2, 2, "  Shorter turns  "])
    assert again["responses"] == 2 and again["my_answers"] == [2, 2, "Shorter turns"]

    # Moderators read the results while it is open; participants do not.
    resp = await client.get(f"/api/polls/{poll['id']}/results", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    results = resp.json()
    assert results["responses"] == 2 and results["state"] == "open"
    choice, rating, text = results["questions"]
    assert choice["counts"] == [0, 1, 1] and choice["answered"] == 2
    assert rating["counts"] == [0, 1, 0, 0, 1] and rating["mean"] == 3.5
    assert [(t["text"], t["author"]["id"]) for t in text["texts"]] == [("Shorter turns", cast.focal_point.id)]
    assert_problem(
        await client.get(f"/api/polls/{poll['id']}/results", headers=cast.focal_point.headers),
        403,
        names="closed",
    )
    assert_problem(await client.get(f"/api/polls/{poll['id']}/results"), 403)

    await close(db, poll)
    # Closed: no more answers, and everyone who may read the space reads the results.
    assert_problem(
        await client.put(
            f"/api/polls/{poll['id']}/response", json={"answers": [0, 1, None]}, headers=cast.observer.headers
        ),
        409,
        names="closed",
    )
    for headers in (cast.focal_point.headers, cast.observer.headers, {}):
        resp = await client.get(f"/api/polls/{poll['id']}/results", headers=headers)
        assert resp.status_code == 200 and resp.json()["responses"] == 2 and resp.json()["state"] == "closed"
    listed = (await client.get(f"/api/spaces/{WORKSHOP}/polls")).json()
    assert [(p["id"], p["state"]) for p in listed["items"]] == [(poll["id"], "closed")]


async def test_anonymous_results_name_nobody(client: AsyncTestClient, cast: Cast) -> None:
    await workshop(client, cast)
    poll = await make_poll(client, cast.moderator)
    assert poll["anonymous"] is True
    await answer(client, poll, cast.observer, [None, None, "Good"])
    results = (await client.get(f"/api/polls/{poll['id']}/results", headers=cast.admin.headers)).json()
    assert results["questions"][2]["texts"] == [{"text": "Good", "author": None}]
    assert results["questions"][1]["mean"] is None


async def test_a_scheduled_poll_takes_no_answers(client: AsyncTestClient, cast: Cast) -> None:
    await workshop(client, cast)
    poll = await make_poll(client, cast.moderator, opens_at=later(30), closes_at=later(90))
    assert poll["state"] == "scheduled"
    resp = await client.put(
        f"/api/polls/{poll['id']}/response", json={"answers": [0, 1, None]}, headers=cast.observer.headers
    )
    assert_problem(resp, 409, names="scheduled")


async def test_who_may_attach_a_poll(client: AsyncTestClient, cast: Cast) -> None:
    await workshop(client, cast)
    await make_space(client, cast.admin, "general", kind="nma")
    payload = {"title": "T", "questions": QUESTIONS, "closes_at": later()}
    for who in (cast.focal_point, cast.lcipp, cast.observer):
        assert_problem(
            await client.post(f"/api/spaces/{WORKSHOP}/polls", json=payload, headers=who.headers),
            403,
            names="moderator",
        )
    assert_problem(await client.post(f"/api/spaces/{WORKSHOP}/polls", json=payload), 401)
    assert_problem(
        await client.post("/api/spaces/general/polls", json=payload, headers=cast.admin.headers),
        422,
        names="workshop spaces",
    )
    # A space-level moderator (not a global one) may.
    resp = await client.put(
        f"/api/spaces/{WORKSHOP}/moderators", json={"user_ids": [cast.lcipp.id]}, headers=cast.admin.headers
    )
    assert resp.status_code == 200, resp.text
    await make_poll(client, cast.lcipp)


async def test_a_poll_in_a_restricted_space_does_not_exist_for_others(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    await make_space(
        client, cast.admin, "lcipp-room", kind="workshop", visibility="restricted", allowed_roles=["lcipp"]
    )
    poll = await make_poll(client, cast.moderator, slug="lcipp-room")
    await answer(client, poll, cast.lcipp, [0, 3, None])
    await close(db, poll)
    for who in (cast.observer, cast.focal_point):
        for path in (f"/api/polls/{poll['id']}", f"/api/polls/{poll['id']}/results"):
            assert_problem(
                await client.get(path, headers=who.headers), 404, names=f"no poll with id {poll['id']}"
            )
        assert_problem(
            await client.put(
                f"/api/polls/{poll['id']}/response", json={"answers": [0, 1, None]}, headers=who.headers
            ),
            404,
        )
        assert_problem(await client.get("/api/spaces/lcipp-room/polls", headers=who.headers), 404)
    assert (
        await client.get(f"/api/polls/{poll['id']}/results", headers=cast.lcipp.headers)
    ).status_code == 200


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"title": "  ", "questions": QUESTIONS}, "title"),
        ({"title": "T", "questions": []}, "questions"),
        ({"title": "T", "questions": [{"kind": "vote", "prompt": "?"}]}, "kind"),
        (
            {"title": "T", "questions": [{"kind": "single_choice", "prompt": "?", "choices": ["only"]}]},
            "choices",
        ),
        ({"title": "T", "questions": [{"kind": "rating", "prompt": "?", "choices": ["a", "b"]}]}, "choices"),
        ({"title": "T", "questions": [{"kind": "text", "prompt": ""}]}, "prompt"),
        ({"title": "T", "questions": QUESTIONS, "closes_at": "2020-01-01T00:00:00Z"}, "closes_at"),
        ({"title": "T", "questions": QUESTIONS, "closes_at": "2099-01-01T00:00:00"}, "closes_at"),
        ({"title": "T", "questions": QUESTIONS, "closes_at": "tomorrow"}, "closes_at"),
        ({"title": "T", "questions": QUESTIONS, "anonymous": "yes"}, "anonymous"),
        ({"title": "T", "questions": QUESTIONS, "extra": 1}, "extra"),
    ],
)
async def test_bad_polls_are_refused(client: AsyncTestClient, cast: Cast, body: dict, names: str) -> None:
    await workshop(client, cast)
    payload = {"closes_at": later()} | body
    resp = await client.post(f"/api/spaces/{WORKSHOP}/polls", json=payload, headers=cast.moderator.headers)
    assert_problem(resp, (400, 422), names=names)


@pytest.mark.parametrize(
    ("answers", "names"),
    [
        ([0, 1], "3 questions"),
        ([None, None, None], "answers"),
        ([3, None, None], "answers[0]"),
        ([-1, None, None], "answers[0]"),
        ([True, None, None], "answers[0]"),
        (["0", None, None], "answers[0]"),
        ([None, 0, None], "answers[1]"),
        ([None, 6, None], "answers[1]"),
        ([None, 2.5, None], "answers"),
        ([None, None, "   "], "answers[2]"),
        ([None, None, 7], "answers[2]"),
        ([None, None, "x" * 5001], "answers[2]"),
    ],
)
async def test_bad_answers_are_refused(
    client: AsyncTestClient, cast: Cast, answers: list, names: str
) -> None:
    await workshop(client, cast)
    poll = await make_poll(client, cast.moderator)
    resp = await client.put(
        f"/api/polls/{poll['id']}/response", json={"answers": answers}, headers=cast.observer.headers
    )
    assert_problem(resp, (400, 422), names=names)


async def test_each_answer_sends_moderators_the_results(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    await workshop(client, cast)
    poll = await make_poll(client, cast.moderator)
    await answer(client, poll, cast.observer, [1, 3, "Fine"])
    await answer(client, poll, cast.lcipp, [1, 5, None])
    evs = await events(db, f"poll:{poll['id']}")
    assert [e.type for e in evs] == ["poll.answered", "poll.answered"]
    assert evs[-1].data["results"]["questions"][0]["counts"] == [0, 2, 0]
    # Everyone else learns only how many have answered.
    assert evs[-1].public_data == {"poll_id": poll["id"], "responses": 2}
    assert evs[-1].restricted and evs[-1].space_id is not None

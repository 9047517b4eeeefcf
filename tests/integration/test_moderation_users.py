"""Silences and suspensions: what they stop, when they end, and who may impose them on whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import AuthToken, User
from forum.accounts.services import issue_token
from forum.audit.models import AuditEntry
from tests.conftest import PASSWORD, Cast, People, Persona, make_space, make_thread


def later(seconds: int = 3600) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


async def log_rows(db: AsyncSession, action: str) -> list[AuditEntry]:
    return list((await db.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_silence_stops_posting_until_lifted(
    client: AsyncTestClient, cast: Cast, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "open")
    thread = await make_thread(client, cast.lcipp, "open")
    target = cast.observer
    resp = await client.post(
        f"/api/users/{target.id}/silence",
        json={"reason": "heated exchange", "duration_seconds": 3600},
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["silence_reason"] == "heated exchange" and resp.json()["silenced_until"]

    refused = await client.post(
        f"/api/threads/{thread['id']}/posts", json={"body": "hi"}, headers=target.headers
    )
    assert refused.status_code == 403 and "silenced" in refused.json()["detail"]
    refused = await client.post(
        "/api/spaces/open/threads", json={"title": "t", "body": "b"}, headers=target.headers
    )
    assert refused.status_code == 403
    # They still read.
    assert (await client.get(f"/api/threads/{thread['id']}/posts", headers=target.headers)).status_code == 200
    assert (await client.get("/api/me", headers=target.headers)).status_code == 200

    standing = await client.get(f"/api/users/{target.id}/standing", headers=cast.moderator.headers)
    assert standing.json()["silence_reason"] == "heated exchange"
    assert (await client.get(f"/api/users/{target.id}/standing", headers=target.headers)).status_code == 403

    lifted = await client.delete(
        f"/api/users/{target.id}/silence?reason=calmer%20now", headers=cast.moderator.headers
    )
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["silenced_until"] is None and lifted.json()["silence_reason"] is None
    ok = await client.post(f"/api/threads/{thread['id']}/posts", json={"body": "hi"}, headers=target.headers)
    assert ok.status_code == 201
    # Lifting again changes nothing and logs nothing.
    assert (
        await client.delete(f"/api/users/{target.id}/silence", headers=cast.moderator.headers)
    ).status_code == 200

    silences = await log_rows(db, "user.silence")
    assert len(silences) == 1
    assert silences[0].actor_id == cast.moderator.id and silences[0].target_id == target.id
    assert silences[0].before == {"until": None, "reason": None}
    assert silences[0].after["reason"] == "heated exchange"
    unsilences = await log_rows(db, "user.unsilence")
    assert len(unsilences) == 1 and unsilences[0].reason == "calmer now"
    assert unsilences[0].after == {"until": None, "reason": None}


async def test_silence_until_a_time(client: AsyncTestClient, cast: Cast, db: AsyncSession) -> None:
    until = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    resp = await client.post(
        f"/api/users/{cast.observer.id}/silence",
        json={"reason": "cool off", "until": until.isoformat()},
        headers=cast.admin.headers,
    )
    assert resp.status_code == 200, resp.text
    assert datetime.fromisoformat(resp.json()["silenced_until"].replace("Z", "+00:00")) == until
    user = await db.get(User, cast.observer.id)
    assert user is not None and user.silenced_until == until


@pytest.mark.parametrize(
    "body",
    [
        {"reason": "x"},
        {"reason": "x", "until": later(), "duration_seconds": 60},
        {"reason": "x", "until": "2001-01-01T00:00:00Z"},
        {"reason": "x", "until": "tomorrow"},
        {"reason": "x", "until": "2030-01-01T00:00:00"},
        {"reason": "x", "until": "2200-01-01T00:00:00Z"},
        {"reason": "x", "duration_seconds": 0},
        {"reason": "x", "duration_seconds": -5},
        {"reason": "", "duration_seconds": 60},
        {"reason": "  ", "duration_seconds": 60},
        {"duration_seconds": 60},
        {"reason": "x", "duration_seconds": 60, "extra": 1},
    ],
)
async def test_bad_restrictions_are_refused_and_change_nothing(
    client: AsyncTestClient, cast: Cast, db: AsyncSession, body: dict
) -> None:
    for kind in ("silence", "suspend"):
        resp = await client.post(
            f"/api/users/{cast.observer.id}/{kind}", json=body, headers=cast.admin.headers
        )
        assert resp.status_code in (400, 422), (kind, body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json().get("field") or resp.json()["detail"]
    user = await db.get(User, cast.observer.id)
    assert user is not None and user.silenced_until is None and user.suspended_until is None
    assert (
        await db.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.target_type == "user"))
        == 0
    )
    assert (await client.get("/api/me", headers=cast.observer.headers)).status_code == 200


async def test_suspension_ends_every_token_at_once_and_blocks_login(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    target = cast.observer
    login = await client.post("/api/auth/login", json={"email": target.email, "password": PASSWORD})
    assert login.status_code == 200
    second = {"Authorization": f"Bearer {login.json()['token']}"}
    assert (await client.get("/api/me", headers=second)).status_code == 200

    resp = await client.post(
        f"/api/users/{target.id}/suspend",
        json={"reason": "repeated abuse", "duration_seconds": 86400},
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["suspend_reason"] == "repeated abuse"
    for headers in (target.headers, second):
        assert (await client.get("/api/me", headers=headers)).status_code == 401
    # The browser session (the cookie the login set) ends too.
    assert client.cookies.get("forum_session")
    assert (await client.get("/api/me")).status_code == 401
    client.cookies.clear()
    tokens = (await db.scalars(select(AuthToken).where(AuthToken.user_id == target.id))).all()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    blocked = await client.post("/api/auth/login", json={"email": target.email, "password": PASSWORD})
    assert blocked.status_code == 403 and "suspended" in blocked.json()["detail"]

    lifted = await client.delete(f"/api/users/{target.id}/suspend", headers=cast.moderator.headers)
    assert lifted.status_code == 200 and lifted.json()["suspended_until"] is None
    login = await client.post("/api/auth/login", json={"email": target.email, "password": PASSWORD})
    assert login.status_code == 200
    # The old tokens stay dead: lifting a suspension does not bring sessions back.
    assert (await client.get("/api/me", headers=second)).status_code == 401
    assert len(await log_rows(db, "user.suspend")) == 1
    assert len(await log_rows(db, "user.unsuspend")) == 1


async def test_who_may_restrict_whom(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await make_space(client, cast.admin, "nma")
    await make_space(client, cast.admin, "other")
    space_mod = await people.make("focal_point")
    other_space_mod = await people.make("lcipp")
    second_admin = await people.make("admin")
    second_moderator = await people.make("moderator")
    await client.put(
        "/api/spaces/nma/moderators", json={"user_ids": [space_mod.id]}, headers=cast.admin.headers
    )
    await client.put(
        "/api/spaces/other/moderators", json={"user_ids": [other_space_mod.id]}, headers=cast.admin.headers
    )
    body = {"reason": "r", "duration_seconds": 600}

    async def status(actor: Persona | None, target: Persona, kind: str) -> int:
        headers = actor.headers if actor else {}
        resp = await client.post(f"/api/users/{target.id}/{kind}", json=body, headers=headers)
        if resp.status_code == 200:
            # Undo at once, so every case starts from a clean slate; a suspension ended the
            # target's tokens, so they sign in again.
            undo = await client.delete(f"/api/users/{target.id}/{kind}", headers=cast.admin.headers)
            assert undo.status_code == 200
            if kind == "suspend":
                user = await db.get(User, target.id)
                assert user is not None
                target.token = await issue_token(db, user, 3600)
                await db.commit()
        return resp.status_code

    # Nobody signed in; users who moderate nothing.
    assert await status(None, cast.observer, "silence") == 401
    for actor in (cast.observer, cast.focal_point, cast.lcipp):
        assert await status(actor, cast.other_observer, "silence") == 403
        assert await status(actor, cast.other_observer, "suspend") == 403
    # A space moderator: silences observers, focal points, LCIPP; never suspends; never
    # touches admins, moderators or another space's moderator; never themselves.
    for target in (cast.observer, cast.focal_point, cast.lcipp):
        assert await status(space_mod, target, "silence") == 200
        assert await status(space_mod, target, "suspend") == 403
    for target in (cast.admin, cast.moderator, other_space_mod, space_mod):
        assert await status(space_mod, target, "silence") == 403
    # A global moderator: everyone but admins and moderators.
    for target in (cast.observer, cast.focal_point, cast.lcipp, space_mod):
        assert await status(cast.moderator, target, "silence") == 200
        assert await status(cast.moderator, target, "suspend") == 200
    for target in (cast.admin, second_moderator):
        assert await status(cast.moderator, target, "silence") == 403
        assert await status(cast.moderator, target, "suspend") == 403
    # An admin: moderators and other admins too, but not themselves.
    assert await status(cast.admin, second_moderator, "suspend") == 200
    assert await status(cast.admin, second_admin, "silence") == 200
    assert await status(cast.admin, cast.admin, "silence") == 403
    # Lifting follows the same rule.
    await client.post(f"/api/users/{cast.observer.id}/suspend", json=body, headers=cast.admin.headers)
    assert (
        await client.delete(f"/api/users/{cast.observer.id}/suspend", headers=space_mod.headers)
    ).status_code == 403
    # No such user.
    assert (
        await client.post("/api/users/999999/silence", json=body, headers=cast.admin.headers)
    ).status_code == 404

    # Every successful restriction and lift was logged exactly once, refusals never.
    silences = len(await log_rows(db, "user.silence"))
    suspends = len(await log_rows(db, "user.suspend"))
    assert silences == 3 + 4 + 1
    assert suspends == 4 + 1 + 1
    assert len(await log_rows(db, "user.unsilence")) == silences
    assert len(await log_rows(db, "user.unsuspend")) == suspends - 1

"""Accounts: register, sign in and out, sessions and CSRF, login limits, admin changes to users."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import AuthToken, User
from forum.app import create_app
from forum.audit.models import AuditEntry
from forum.settings import Settings
from tests.conftest import PASSWORD, Cast, People, make_space
from tests.helpers import assert_problem, count

GOOD = {"email": "Ana.Silva@Example.ORG", "password": "a long enough password", "display_name": "Ana"}


async def register(client: AsyncTestClient, **changes: object) -> httpx.Response:
    return await client.post("/api/auth/register", json={**GOOD, **changes})


# Registration


async def test_register_creates_an_observer_with_a_lowercased_email(
    client: AsyncTestClient, db: AsyncSession
) -> None:
    resp = await register(client)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["role"] == "observer"
    assert body["email"] == "ana.silva@example.org"
    assert body["display_name"] == "Ana"
    assert body["party"] is None
    assert set(body) >= {"id", "display_name", "role", "party", "organisation"}
    row = (
        await db.execute(select(User.email, User.role, User.password_hash).where(User.id == body["id"]))
    ).one()
    await db.rollback()
    assert row.email == "ana.silva@example.org"
    assert row.role == "observer"
    # argon2id, never the password itself.
    assert row.password_hash.startswith("$argon2id$")
    assert GOOD["password"] not in row.password_hash


async def test_register_the_same_email_twice_is_a_conflict(client: AsyncTestClient, db: AsyncSession) -> None:
    assert (await register(client)).status_code == 201
    resp = await register(client, email="ANA.SILVA@example.org", display_name="Other")
    assert_problem(resp, 409, names="email")
    assert await count(db, User) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GOOD, "email": "not-an-email"}, "email"),
        ({**GOOD, "email": "two@@example.org"}, "email"),
        ({**GOOD, "email": "spaces in@example.org"}, "email"),
        ({**GOOD, "password": "short"}, "password"),
        ({**GOOD, "display_name": ""}, "display_name"),
        ({**GOOD, "display_name": "x" * 81}, "display_name"),
        ({"email": GOOD["email"], "password": GOOD["password"]}, "display_name"),
        ({"password": GOOD["password"], "display_name": "A"}, "email"),
        ({**GOOD, "role": "admin"}, "role"),
        ({**GOOD, "email": ["a@b.org"]}, "email"),
        ({**GOOD, "password": 1234567890123}, "password"),
    ],
    ids=[
        "bad-email",
        "double-at",
        "space-in-email",
        "short-password",
        "empty-name",
        "long-name",
        "missing-name",
        "missing-email",
        "unknown-field-role",
        "email-list",
        "password-number",
    ],
)
async def test_register_refuses_bad_input_naming_the_field(
    client: AsyncTestClient, db: AsyncSession, body: dict, field: str
) -> None:
    resp = await client.post("/api/auth/register", json=body)
    problem = assert_problem(resp, (400, 422), names=field)
    assert problem.get("field") == field
    assert await count(db, User) == 0


async def test_register_bad_email_message_reads_well(client: AsyncTestClient) -> None:
    resp = await register(client, email="nope")
    assert assert_problem(resp, 400)["detail"] == "email: must be an email address"


# Login and logout


async def test_login_gives_a_bearer_token_and_an_httponly_session_cookie(
    client: AsyncTestClient, db: AsyncSession
) -> None:
    await register(client)
    resp = await client.post(
        "/api/auth/login", json={"email": "ANA.silva@example.org", "password": GOOD["password"]}
    )
    assert resp.status_code == 200, resp.text
    token = resp.json()["token"]
    assert resp.json()["user"]["email"] == "ana.silva@example.org"
    set_cookie = [v for k, v in resp.headers.multi_items() if k == "set-cookie" and "forum_session=" in v]
    assert set_cookie, resp.headers
    assert "httponly" in set_cookie[0].lower()
    assert "samesite=lax" in set_cookie[0].lower()
    # Only a digest of the token is stored.
    hashes = (await db.scalars(select(AuthToken.token_hash))).all()
    await db.rollback()
    assert token not in hashes
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["email"] == "ana.silva@example.org"


async def test_me_needs_a_signed_in_user(client: AsyncTestClient) -> None:
    assert_problem(await client.get("/api/me"), 401)
    assert_problem(await client.get("/api/me", headers={"Authorization": "Bearer nonsense"}), 401)
    assert_problem(await client.get("/api/me", headers={"Authorization": "Basic abc"}), 401)


async def test_wrong_password_and_unknown_email_are_401(client: AsyncTestClient) -> None:
    await register(client)
    resp = await client.post("/api/auth/login", json={"email": GOOD["email"], "password": "wrong password!"})
    body = assert_problem(resp, 401)
    resp2 = await client.post(
        "/api/auth/login", json={"email": "nobody@example.org", "password": "wrong password!"}
    )
    # The same answer: an outsider cannot learn which emails have accounts.
    assert assert_problem(resp2, 401)["detail"] == body["detail"]
    assert "forum_session" not in resp.cookies


async def test_logout_ends_the_token(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    h = cast.observer.headers
    assert (await client.get("/api/me", headers=h)).status_code == 200
    resp = await client.post("/api/auth/logout", headers=h)
    assert resp.status_code == 204
    assert_problem(await client.get("/api/me", headers=h), 401)
    revoked = await db.scalar(select(AuthToken.revoked_at).where(AuthToken.user_id == cast.observer.id))
    await db.rollback()
    assert revoked is not None
    # Another user's token still works.
    assert (await client.get("/api/me", headers=cast.other_observer.headers)).status_code == 200
    assert_problem(await client.post("/api/auth/logout"), 401)


async def _cookie_login(client: AsyncTestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in as a browser does; returns the CSRF token to echo in x-csrftoken."""
    resp = await client.post("/api/auth/login", json={"email": email, "password": password})
    assert resp.status_code == 200, resp.text
    assert client.cookies.get("forum_session")
    # A safe request hands out the CSRF cookie.
    await client.get("/api/me")
    csrf = client.cookies.get("csrftoken")
    assert csrf
    return csrf


async def test_logout_ends_the_cookie_session(client: AsyncTestClient, cast: Cast) -> None:
    csrf = await _cookie_login(client, cast.observer.email)
    me = await client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["id"] == cast.observer.id
    session_value = client.cookies.get("forum_session")
    resp = await client.post("/api/auth/logout", headers={"x-csrftoken": csrf})
    assert resp.status_code == 204
    assert_problem(await client.get("/api/me"), 401)
    # Even a client that kept the old cookie is no longer signed in.
    client.cookies.set("forum_session", session_value)
    assert_problem(await client.get("/api/me"), 401)
    assert_problem(await client.get("/api/me", headers={"Authorization": f"Bearer {session_value}"}), 401)


# CSRF


async def test_cookie_session_needs_the_csrf_header_on_unsafe_requests(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    csrf = await _cookie_login(client, cast.observer.email)
    threads_before = await count(db, AuditEntry)
    from forum.threads.models import Thread

    resp = await client.post("/api/spaces/agora/threads", json={"title": "Forged", "body": "x"})
    assert_problem(resp, 403, names="CSRF")
    resp = await client.post(
        "/api/spaces/agora/threads", json={"title": "Forged", "body": "x"}, headers={"x-csrftoken": "wrong"}
    )
    assert_problem(resp, 403)
    assert await count(db, Thread) == 0
    resp = await client.post("/api/auth/logout")
    assert_problem(resp, 403)
    assert (await client.get("/api/me")).status_code == 200  # the forged logout did nothing
    resp = await client.post(
        "/api/spaces/agora/threads", json={"title": "Real", "body": "x"}, headers={"x-csrftoken": csrf}
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["author"]["id"] == cast.observer.id
    assert await count(db, Thread) == 1
    assert await count(db, AuditEntry) == threads_before


async def test_bearer_requests_need_no_csrf_token(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    await make_space(client, cast.admin, "agora")
    resp = await client.post(
        "/api/spaces/agora/threads", json={"title": "Bearer", "body": "x"}, headers=cast.observer.headers
    )
    assert resp.status_code == 201, resp.text
    assert "csrftoken" not in client.cookies


# Login limits


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    return replace(settings, login_max_failures=3, login_window_seconds=600)


@pytest.fixture
async def strict_client(strict_settings: Settings) -> tuple[Litestar, AsyncTestClient]:
    app = create_app(strict_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield app, c


def from_address(app: Litestar, address: str) -> httpx.AsyncClient:
    """A client on the running app whose requests come from another address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


async def test_repeated_failures_lock_the_account_from_any_address(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    app, _ = strict_client
    victim = await people.make("observer")
    for n in range(3):
        async with from_address(app, f"10.0.0.{n + 1}") as c:
            resp = await c.post("/api/auth/login", json={"email": victim.email, "password": "guess guess"})
            assert resp.status_code == 401
    # Locked: even the right password from a fresh address is refused, with Retry-After.
    async with from_address(app, "10.0.9.9") as c:
        resp = await c.post("/api/auth/login", json={"email": victim.email, "password": PASSWORD})
    assert_problem(resp, 429)
    assert 0 < int(resp.headers["retry-after"]) <= 600
    # Other accounts are not affected.
    other = await people.make("observer")
    async with from_address(app, "10.0.9.9") as c:
        resp = await c.post("/api/auth/login", json={"email": other.email, "password": PASSWORD})
    assert resp.status_code == 200


async def test_repeated_failures_lock_the_address_for_any_account(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    app, _ = strict_client
    users = [await people.make("observer") for _ in range(4)]
    async with from_address(app, "192.0.2.7") as c:
        for user in users[:3]:
            resp = await c.post("/api/auth/login", json={"email": user.email, "password": "guess guess"})
            assert resp.status_code == 401
        resp = await c.post("/api/auth/login", json={"email": users[3].email, "password": PASSWORD})
        assert_problem(resp, 429)
        assert int(resp.headers["retry-after"]) > 0
    # The same account from another address signs in.
    async with from_address(app, "192.0.2.8") as c:
        resp = await c.post("/api/auth/login", json={"email": users[3].email, "password": PASSWORD})
    assert resp.status_code == 200


async def test_a_success_clears_the_account_count(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    app, _ = strict_client
    user = await people.make("observer")
    for round_ in range(2):
        async with from_address(app, f"198.51.100.{round_}") as c:
            for _ in range(2):
                resp = await c.post("/api/auth/login", json={"email": user.email, "password": "nope nope"})
                assert resp.status_code == 401
            resp = await c.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
            assert resp.status_code == 200


# Admin changes to users


async def test_only_admins_change_role_party_or_organisation(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    target = cast.other_observer
    for who in (cast.moderator, cast.focal_point, cast.lcipp, cast.observer, target):
        for patch in ({"role": "admin"}, {"party": "FRA"}, {"organisation": "Acme"}):
            resp = await client.patch(f"/api/users/{target.id}", json=patch, headers=who.headers)
            assert_problem(resp, 403)
    assert_problem(await client.patch(f"/api/users/{target.id}", json={"role": "admin"}), 401)
    row = (
        await db.execute(select(User.role, User.party, User.organisation).where(User.id == target.id))
    ).one()
    await db.rollback()
    assert tuple(row) == ("observer", None, None)
    assert await count(db, AuditEntry) == 0


async def test_admin_makes_a_focal_point_and_it_is_audited_once(
    client: AsyncTestClient, db: AsyncSession, cast: Cast
) -> None:
    target = cast.other_observer
    resp = await client.patch(
        f"/api/users/{target.id}",
        json={"role": "focal_point", "party": "BOL", "organisation": "Ministry of Environment"},
        headers=cast.admin.headers,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["role"] == "focal_point"
    assert resp.json()["party"] == "BOL"
    entries = (await db.scalars(select(AuditEntry).where(AuditEntry.target_id == target.id))).all()
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor_id == cast.admin.id
    assert entry.target_type == "user"
    assert entry.before["role"] == "observer"
    assert entry.after["role"] == "focal_point"
    assert entry.after["party"] == "BOL"
    await db.rollback()
    # The change holds for the user's next request.
    me = await client.get("/api/me", headers=target.headers)
    assert me.json()["role"] == "focal_point"
    # A PATCH that changes nothing writes no log entry.
    resp = await client.patch(f"/api/users/{target.id}", json={"party": "BOL"}, headers=cast.admin.headers)
    assert resp.status_code == 200
    assert (
        await count(db, AuditEntry, AuditEntry.target_id == target.id, AuditEntry.target_type == "user") == 1
    )
    # The European Union is a Party too.
    resp = await client.patch(f"/api/users/{target.id}", json={"party": "EUU"}, headers=cast.admin.headers)
    assert resp.status_code == 200
    assert (
        await count(db, AuditEntry, AuditEntry.target_id == target.id, AuditEntry.target_type == "user") == 2
    )


async def test_a_focal_point_needs_a_party(client: AsyncTestClient, db: AsyncSession, cast: Cast) -> None:
    target = cast.other_observer
    resp = await client.patch(
        f"/api/users/{target.id}", json={"role": "focal_point"}, headers=cast.admin.headers
    )
    assert_problem(resp, (400, 422), names="party")
    for bad in ("jp", "JAPAN", "J1P", 392):
        resp = await client.patch(
            f"/api/users/{target.id}", json={"role": "focal_point", "party": bad}, headers=cast.admin.headers
        )
        assert_problem(resp, (400, 422), names="party")
    # Removing the Party of an existing focal point is refused as well.
    resp = await client.patch(
        f"/api/users/{cast.focal_point.id}", json={"party": None}, headers=cast.admin.headers
    )
    assert_problem(resp, (400, 422), names="party")
    assert await db.scalar(select(User.role).where(User.id == target.id)) == "observer"
    assert await db.scalar(select(User.party).where(User.id == cast.focal_point.id)) == "JPN"
    await db.rollback()
    assert await count(db, AuditEntry) == 0


async def test_unknown_role_is_refused(client: AsyncTestClient, cast: Cast) -> None:
    resp = await client.patch(
        f"/api/users/{cast.observer.id}", json={"role": "king"}, headers=cast.admin.headers
    )
    assert_problem(resp, (400, 422), names="role")


async def test_email_is_shown_only_to_the_user_and_admins(client: AsyncTestClient, cast: Cast) -> None:
    path = f"/api/users/{cast.observer.id}"
    assert (await client.get(path, headers=cast.observer.headers)).json()["email"] == cast.observer.email
    assert (await client.get(path, headers=cast.admin.headers)).json()["email"] == cast.observer.email
    for who in (cast.moderator, cast.focal_point, cast.lcipp, cast.other_observer):
        body = (await client.get(path, headers=who.headers)).json()
        assert "email" not in body or body["email"] is None
        assert body["display_name"] == cast.observer.name
    anon = await client.get(path)
    assert anon.status_code in (200, 401)
    if anon.status_code == 200:
        assert anon.json().get("email") is None


async def test_role_change_takes_effect_on_existing_tokens(client: AsyncTestClient, cast: Cast) -> None:
    resp = await client.post(
        "/api/spaces",
        json={"slug": "new", "title": "New", "kind": "general", "moderation": "post", "visibility": "public"},
        headers=cast.observer.headers,
    )
    assert_problem(resp, 403)
    await client.patch(f"/api/users/{cast.observer.id}", json={"role": "admin"}, headers=cast.admin.headers)
    resp = await client.post(
        "/api/spaces",
        json={"slug": "new", "title": "New", "kind": "general", "moderation": "post", "visibility": "public"},
        headers=cast.observer.headers,
    )
    assert resp.status_code == 201

"""Accounts: register, sign in and out, sessions and CSRF, login limits, admin changes to users."""

from __future__ import annotations

import asyncio
import secrets
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
    # A Bearer client's read without cookies is not handed the CSRF cookie either (it is
    # for a browser's next unsafe request); a browser's read still is.
    read = await client.get("/api/me", headers=cast.observer.headers)
    assert read.status_code == 200 and "csrftoken" not in read.headers.get("set-cookie", "")
    browser = await client.get("/api/spaces")
    assert browser.status_code == 200 and "csrftoken" in browser.headers.get("set-cookie", "")


# Login limits


@pytest.fixture
def strict_settings(settings: Settings) -> Settings:
    # A first wait long enough that no pause of a busy test machine outlasts it.
    return replace(
        settings,
        login_max_failures=3,
        login_window_seconds=600,
        login_first_delay_seconds=30,
        login_address_max_failures=50,
    )


@pytest.fixture
async def strict_client(strict_settings: Settings) -> tuple[Litestar, AsyncTestClient]:
    app = create_app(strict_settings)
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as c:
        yield app, c


def from_address(app: Litestar, address: str) -> httpx.AsyncClient:
    """A client on the running app whose requests come from another address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


def somewhere() -> str:
    """An address of its own for a test (the login counters may live in a shared Redis)."""
    return f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


async def login(c: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    """A sign-in; the session it opens is dropped at once (as when a browser's session
    ends), so that the client can sign in again without a CSRF token. The device cookie stays."""
    resp = await c.post("/api/auth/login", json={"email": email, "password": password})
    c.cookies.delete("forum_session")
    return resp


async def test_repeated_failures_slow_the_account_down_from_any_address(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    app, _ = strict_client
    victim = await people.make("observer")
    for _ in range(3):
        async with from_address(app, somewhere()) as c:
            assert (await login(c, victim.email, "guess guess")).status_code == 401
    # The next attempt waits, even with the right password from a fresh address: the
    # first wait (30 s here), with Retry-After, not a lock-out for the whole window.
    async with from_address(app, somewhere()) as c:
        resp = await login(c, victim.email, PASSWORD)
    assert assert_problem(resp, 429)["code"] == "rate_limited"
    assert int(resp.headers["retry-after"]) == 30
    # Other accounts are not affected.
    other = await people.make("observer")
    async with from_address(app, somewhere()) as c:
        assert (await login(c, other.email, PASSWORD)).status_code == 200


async def test_each_failure_doubles_the_wait_and_the_right_password_then_passes(
    strict_settings: Settings, people: People
) -> None:
    app = create_app(replace(strict_settings, login_first_delay_seconds=2))
    victim = await people.make("observer")
    async with (
        AsyncTestClient(app=app, base_url="http://testserver.local"),
        from_address(app, somewhere()) as c,
    ):
        for _ in range(3):
            assert (await login(c, victim.email, "guess guess")).status_code == 401
        resp = await login(c, victim.email, "guess guess")
        assert_problem(resp, 429)
        assert int(resp.headers["retry-after"]) == 2
        await asyncio.sleep(2.05)
        assert (await login(c, victim.email, "guess guess")).status_code == 401
        resp = await login(c, victim.email, PASSWORD)
        assert_problem(resp, 429)
        assert int(resp.headers["retry-after"]) == 4
        await asyncio.sleep(4.05)
        assert (await login(c, victim.email, PASSWORD)).status_code == 200


async def test_parallel_wrong_passwords_are_tried_no_more_than_the_limit(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    """The attempt is counted before the password is checked, in one step: 20 guesses
    sent at once get the 3 tries of the limit, not 20."""
    app, _ = strict_client
    victim = await people.make("observer")
    async with from_address(app, somewhere()) as c:
        answers = await asyncio.gather(*(login(c, victim.email, f"guess {n:08}") for n in range(20)))
    statuses = sorted(resp.status_code for resp in answers)
    assert statuses == [401] * 3 + [429] * 17, statuses
    for resp in answers:
        if resp.status_code == 429:
            assert int(resp.headers["retry-after"]) >= 1


async def test_a_failed_sign_in_answers_the_same_for_unknown_emails(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    """Throttling is keyed by the email as typed: an unknown email is slowed down exactly
    like a real one, so the answers say nothing about which accounts exist."""
    app, _ = strict_client
    real = await people.make("observer")
    unknown = f"nobody-{secrets.token_hex(4)}@example.org"
    seen = {}
    for email in (real.email, unknown):
        async with from_address(app, somewhere()) as c:
            answers = [await login(c, email, "guess guess") for _ in range(4)]
        seen[email] = [(r.status_code, r.json()["detail"], r.headers.get("retry-after")) for r in answers]
    assert seen[real.email] == seen[unknown]


async def test_an_attacker_cannot_lock_out_a_delegate_on_a_device_they_signed_in_from(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    app, _ = strict_client
    delegate = await people.make("focal_point")
    venue = somewhere()
    async with from_address(app, venue) as laptop:
        assert (await login(laptop, delegate.email, PASSWORD)).status_code == 200
        assert laptop.cookies.get("forum_device")
        # Someone elsewhere guesses the delegate's password, from many addresses.
        for _ in range(10):
            async with from_address(app, somewhere()) as attacker:
                assert (await login(attacker, delegate.email, "guess guess")).status_code in (401, 429)
        async with from_address(app, somewhere()) as attacker:
            assert_problem(await login(attacker, delegate.email, PASSWORD), 429)
        # The delegate's own laptop still signs in at once.
        resp = await login(laptop, delegate.email, PASSWORD)
        assert resp.status_code == 200, resp.text


async def test_a_device_cookie_vouches_for_its_own_account_only_and_counts_its_own_failures(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    app, _ = strict_client
    delegate, other = await people.make("observer"), await people.make("observer")
    async with from_address(app, somewhere()) as laptop:
        assert (await login(laptop, delegate.email, PASSWORD)).status_code == 200
        cookie = laptop.cookies.get("forum_device")
    # Both accounts are under attack from elsewhere.
    async with from_address(app, somewhere()) as attacker:
        for email in (delegate.email, other.email):
            for _ in range(3):
                assert (await login(attacker, email, "guess guess")).status_code == 401
            assert_problem(await login(attacker, email, PASSWORD), 429)
    async with from_address(app, somewhere()) as laptop:
        # The cookie does not vouch for another account ...
        laptop.cookies.set("forum_device", cookie, domain="testserver.local", path="/api/auth")
        assert_problem(await login(laptop, other.email, PASSWORD), 429)
        # ... and an altered cookie vouches for nobody.
        laptop.cookies.set("forum_device", cookie[:-2] + "xx", domain="testserver.local", path="/api/auth")
        assert_problem(await login(laptop, delegate.email, PASSWORD), 429)
        laptop.cookies.set("forum_device", cookie, domain="testserver.local", path="/api/auth")
        # Guessing from the trusted device is slowed down too, on its own count.
        for _ in range(3):
            assert (await login(laptop, delegate.email, "guess guess")).status_code == 401
        assert_problem(await login(laptop, delegate.email, PASSWORD), 429)


async def test_a_room_behind_one_address_is_not_shut_out_by_a_few_failures(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    app, _ = strict_client
    venue = somewhere()
    users = [await people.make("observer") for _ in range(8)]
    for user in users[:6]:
        async with from_address(app, venue) as laptop:
            assert (await login(laptop, user.email, "guess guess")).status_code == 401
    for user in users:
        async with from_address(app, venue) as laptop:
            assert (await login(laptop, user.email, PASSWORD)).status_code == 200


async def test_the_address_limit_counts_failures_only(strict_settings: Settings, people: People) -> None:
    app = create_app(replace(strict_settings, login_address_max_failures=4))
    venue = somewhere()
    users = [await people.make("observer") for _ in range(6)]
    async with AsyncTestClient(app=app, base_url="http://testserver.local"):
        # Every laptop in the room is a client of its own, from the venue's one address.
        # Successful sign-ins, however many, do not count.
        for user in users:
            async with from_address(app, venue) as laptop:
                assert (await login(laptop, user.email, PASSWORD)).status_code == 200
        for user in users[:4]:
            async with from_address(app, venue) as laptop:
                assert (await login(laptop, user.email, "guess guess")).status_code == 401
        async with from_address(app, venue) as laptop:
            resp = await login(laptop, users[5].email, PASSWORD)
        assert assert_problem(resp, 429)["code"] == "rate_limited"
        assert 0 < int(resp.headers["retry-after"]) <= 600
        # The same account from another address signs in.
        async with from_address(app, somewhere()) as c:
            assert (await login(c, users[5].email, PASSWORD)).status_code == 200


async def test_a_success_clears_the_account_count(
    strict_client: tuple[Litestar, AsyncTestClient], people: People
) -> None:
    app, _ = strict_client
    user = await people.make("observer")
    for _ in range(2):
        async with from_address(app, somewhere()) as c:
            for _ in range(2):
                resp = await login(c, user.email, "nope nope")
                assert resp.status_code == 401
            resp = await login(c, user.email, PASSWORD)
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

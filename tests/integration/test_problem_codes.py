"""Problems a client can word in its reader's language: stable codes, fields, reasons.

Each answer keeps its English `detail`, and says the same in codes: `code` (the kind),
`reason` (the exact cause) and `errors` (per field, with the bound broken).
"""

from __future__ import annotations

from dataclasses import replace

from litestar.testing import AsyncTestClient

from forum.accounts.passwords import PASSWORD_MIN_LENGTH
from forum.app import create_app
from forum.settings import Settings
from tests.conftest import PASSWORD, Cast, People, make_space
from tests.helpers import assert_problem


def registration(email: str, password: str = PASSWORD, name: str = "Ana") -> dict[str, str]:
    return {"email": email, "password": password, "display_name": name}


async def test_the_password_rule_is_served_and_is_the_one_applied(client: AsyncTestClient) -> None:
    rules = (await client.get("/api/auth/rules")).json()
    assert rules["password_min_length"] == PASSWORD_MIN_LENGTH == 10
    short = "x" * (rules["password_min_length"] - 1)
    resp = await client.post("/api/auth/register", json=registration("short@example.org", short))
    problem = assert_problem(resp, 400)
    assert problem["code"] == "bad_request" and problem["field"] == "password"
    assert problem["errors"] == [{"field": "password", "code": "too_short", "limit": PASSWORD_MIN_LENGTH}]
    assert "at least 10 characters" in problem["detail"]
    exact = "x" * rules["password_min_length"]
    assert (
        await client.post("/api/auth/register", json=registration("ok@example.org", exact))
    ).status_code == 201


async def test_an_email_already_registered_is_named_by_reason_and_field(
    client: AsyncTestClient, cast: Cast
) -> None:
    resp = await client.post("/api/auth/register", json=registration(cast.observer.email))
    problem = assert_problem(resp, 409)
    assert (problem["code"], problem["reason"], problem["field"]) == ("conflict", "email_taken", "email")
    assert "already exists" in problem["detail"]


async def test_every_bad_field_is_listed_with_its_reason(client: AsyncTestClient) -> None:
    resp = await client.post(
        "/api/auth/register", json={"email": "not an email", "password": "p" * 1001, "display_name": " "}
    )
    problem = assert_problem(resp, 400)
    # msgspec stops at the first bad field; whichever it is, it is named with its reason.
    assert len(problem["errors"]) >= 1
    for item in problem["errors"]:
        assert {"field", "code"} <= item.keys()
    by_field = {item["field"]: item for item in problem["errors"]}
    assert by_field.get("email", {"code": "invalid_format"})["code"] == "invalid_format"
    missing = assert_problem(await client.post("/api/auth/register", json={"email": "a@b.org"}), 400)
    assert missing["errors"][0]["code"] == "required"
    unknown = assert_problem(
        await client.post("/api/auth/register", json={**registration("u@example.org"), "admin": True}), 400
    )
    assert unknown["errors"] == [{"field": "admin", "code": "unknown_field"}]
    typed = assert_problem(
        await client.post("/api/auth/register", json={**registration("t@example.org"), "password": 12}), 400
    )
    assert typed["errors"] == [{"field": "password", "code": "wrong_type"}]
    not_object = assert_problem(await client.post("/api/auth/register", json=[1]), 400)
    assert not_object["reason"] == "body_not_object"
    broken = await client.post(
        "/api/auth/register", content=b"{", headers={"content-type": "application/json"}
    )
    assert assert_problem(broken, 400)["reason"] == "malformed_json"


async def test_bounds_of_numbers_and_enums_have_codes(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "agora")
    resp = await client.get("/api/spaces/agora/threads?limit=1000")
    problem = assert_problem(resp, 400)
    assert problem["errors"][0]["field"] == "limit"
    assert problem["errors"][0]["code"] == "too_big" and problem["errors"][0]["limit"] == 100
    flag = await client.post(
        "/api/spaces",
        json={"slug": "x1", "title": "X", "kind": "nope", "moderation": "pre", "visibility": "public"},
        headers=cast.admin.headers,
    )
    assert assert_problem(flag, 400)["errors"][0] == {"field": "kind", "code": "not_allowed"}


async def test_sign_in_problems_carry_their_reason(settings: Settings, people: People) -> None:
    strict = replace(settings, login_max_failures=2, login_first_delay_seconds=30, login_window_seconds=600)
    user = await people.make("observer")
    async with AsyncTestClient(app=create_app(strict), base_url="http://testserver.local") as c:
        for _ in range(2):
            wrong = await c.post("/api/auth/login", json={"email": user.email, "password": "wrong password"})
            problem = assert_problem(wrong, 401)
            assert (problem["code"], problem["reason"]) == ("unauthorized", "wrong_credentials")
        throttled = await c.post("/api/auth/login", json={"email": user.email, "password": PASSWORD})
        problem = assert_problem(throttled, 429)
        assert (problem["code"], problem["reason"]) == ("rate_limited", "sign_in_throttled")
        assert int(throttled.headers["retry-after"]) == 30

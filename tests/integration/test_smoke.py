"""The path a newcomer takes: register, sign in, open a thread, post, read."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from tests.conftest import Cast, make_space


async def test_register_login_thread_post(client: AsyncTestClient, cast: Cast) -> None:
    await make_space(client, cast.admin, "subaru")
    resp = await client.post(
        "/api/auth/register",
        json={"email": "Ana@Example.org", "password": "a long enough password", "display_name": "Ana"},
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["role"] == "observer"
    assert resp.json()["email"] == "ana@example.org"
    login = await client.post(
        "/api/auth/login", json={"email": "ana@example.org", "password": "a long enough password"}
    )
    assert login.status_code == 200
    token = login.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/me", headers=headers)
    assert me.json()["display_name"] == "Ana"
    thread = await client.post(
        "/api/spaces/subaru/threads", json={"title": "Hello", "body": "**hi**"}, headers=headers
    )
    assert thread.status_code == 201, thread.text
    tid = thread.json()["id"]
    post = await client.post(
        f"/api/threads/{tid}/posts", json={"body": "second <script>x</script>"}, headers=headers
    )
    assert post.status_code == 201
    assert post.json()["number"] == 2
    assert "<script>" not in post.json()["html"]
    listing = await client.get(f"/api/threads/{tid}/posts")
    assert [p["number"] for p in listing.json()["items"]] == [1, 2]
    assert listing.json()["items"][0]["html"].strip() == "<p><strong>hi</strong></p>"

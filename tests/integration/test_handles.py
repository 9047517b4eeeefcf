"""Handles: given or suggested at registration, unique whatever the case, changeable, and the
mention autocomplete."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.accounts.models import User
from forum.accounts.services import create_user
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import assert_problem, make_post

PASSWORD = "a long enough password"


async def register(client: AsyncTestClient, email: str, name: str, **extra: object):
    return await client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": name, **extra}
    )


async def test_a_handle_is_suggested_from_the_name_with_a_number_when_taken(client: AsyncTestClient) -> None:
    first = await register(client, "ana@example.org", "Ana María Quispe")
    assert first.status_code == 201, first.text
    assert first.json()["handle"] == "ana.maria.quispe"
    second = await register(client, "ana2@example.org", "Ana  Maria Quispe!")
    assert second.json()["handle"] == "ana.maria.quispe2"
    # A name without Latin letters still gets one.
    third = await register(client, "wang@example.org", "王芳")
    assert third.json()["handle"] == "user"
    assert (await register(client, "wang2@example.org", "王芳")).json()["handle"] == "user2"


async def test_a_chosen_handle_is_unique_whatever_its_case(client: AsyncTestClient) -> None:
    resp = await register(client, "li@example.org", "Li", handle="@Li.Wei")
    assert resp.status_code == 201, resp.text
    assert resp.json()["handle"] == "li.wei"
    assert_problem(await register(client, "li2@example.org", "Li", handle="LI.WEI"), 409, names="handle")
    for bad in ("ab", ".ana", "ana.", "an a", "ana!", "a" * 31, "ça.va"):
        assert_problem(await register(client, "x@example.org", "X", handle=bad), 400, names="handle")


async def test_change_your_own_handle(client: AsyncTestClient, cast: Cast, db: AsyncSession) -> None:
    resp = await client.patch("/api/me", json={"handle": "Fatima_A"}, headers=cast.observer.headers)
    assert resp.status_code == 200, resp.text
    assert resp.json()["handle"] == "fatima_a"
    assert (await client.get("/api/me", headers=cast.observer.headers)).json()["handle"] == "fatima_a"
    taken = await client.patch("/api/me", json={"handle": "FATIMA_A"}, headers=cast.lcipp.headers)
    assert_problem(taken, 409, names="handle")
    # Keeping one's own handle in another case is no conflict.
    same = await client.patch("/api/me", json={"handle": "Fatima_a"}, headers=cast.observer.headers)
    assert same.status_code == 200 and same.json()["handle"] == "fatima_a"
    assert_problem(await client.patch("/api/me", json={"handle": "x"}, headers=cast.observer.headers), 400)
    assert_problem(await client.patch("/api/me", json={"role": "admin"}, headers=cast.observer.headers), 400)
    assert_problem(await client.patch("/api/me", json={"handle": "fine.one"}), 401)


async def test_users_made_without_a_handle_get_one(db: AsyncSession, people: People) -> None:
    a = await people.make("observer", name="Mariam Diallo")
    b = await people.make("observer", name="Mariam Diallo")
    handles = (await db.scalars(select(User.handle).where(User.id.in_([a.id, b.id])).order_by(User.id))).all()
    assert handles == ["mariam.diallo", "mariam.diallo2"]
    user = await create_user(db, email="cli@example.org", password=PASSWORD, display_name="Mariam Diallo")
    assert user.handle == "mariam.diallo3"


async def test_the_autocomplete(client: AsyncTestClient, people: People) -> None:
    ana = await people.make("observer", name="Ana Quispe")
    await people.make("observer", name="Anatoly Petrov")
    await people.make("observer", name="Bolivar Ana")
    resp = await client.get("/api/users?prefix=@AN", headers=ana.headers)
    assert resp.status_code == 200, resp.text
    assert [u["handle"] for u in resp.json()] == ["ana.quispe", "anatoly.petrov"]
    assert set(resp.json()[0]) == {"id", "handle", "display_name", "role"}  # no email
    assert (await client.get("/api/users?prefix=bol", headers=ana.headers)).json()[0][
        "handle"
    ] == "bolivar.ana"
    assert (await client.get("/api/users?prefix=%25", headers=ana.headers)).json() == []
    assert (await client.get("/api/users?prefix=_", headers=ana.headers)).json() == []
    assert_problem(await client.get("/api/users?prefix=an"), 401)
    assert_problem(await client.get("/api/users", headers=ana.headers), 400, names="prefix")
    assert_problem(
        await client.get("/api/users?prefix=" + "a" * 40, headers=ana.headers), 400, names="prefix"
    )


async def test_a_new_name_shows_on_the_next_request(client: AsyncTestClient, cast: Cast) -> None:
    """The process remembers a token's viewer (forum.spaces.viewer_cache): changing one's own
    name or handle must make it forget, so the next answer shows the new ones."""
    await client.get("/api/me", headers=cast.observer.headers)  # remembered now
    resp = await client.patch(
        "/api/me", json={"display_name": "Fatima A.", "handle": "fatima.a"}, headers=cast.observer.headers
    )
    assert resp.status_code == 200, resp.text
    me = (await client.get("/api/me", headers=cast.observer.headers)).json()
    assert (me["display_name"], me["handle"]) == ("Fatima A.", "fatima.a")
    await make_space(client, cast.admin, "agora")
    thread = await make_thread(client, cast.observer, "agora")
    assert (thread.get("author") or {}).get("display_name", "Fatima A.") == "Fatima A."
    post = await make_post(client, cast.observer, thread["id"], "Under my new name")
    assert post["author"]["display_name"] == "Fatima A.", post

"""The demo content, loaded through the services, as each role sees it over the API."""

from __future__ import annotations

from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from forum.demo.content import DEMO_PASSWORD, DEMO_SPACES, DEMO_THREADS, DEMO_USERS
from forum.demo.loader import load_demo
from forum.lib.db import create_engine, make_sessionmaker
from forum.settings import Settings
from forum.spaces.models import Space
from forum.threads.models import Post, Thread


async def _load(settings: Settings):
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session, session.begin():
            return await load_demo(session)
    finally:
        await engine.dispose()


async def _counts(settings: Settings) -> tuple[int, int, int]:
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            return (
                await session.scalar(select(func.count()).select_from(Space)),
                await session.scalar(select(func.count()).select_from(Thread)),
                await session.scalar(select(func.count()).select_from(Post)),
            )
    finally:
        await engine.dispose()


async def _login(client: AsyncTestClient, key: str) -> dict[str, str]:
    email = next(u.email for u in DEMO_USERS if u.key == key)
    resp = await client.post("/api/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert resp.status_code == 200, resp.text
    # Speak as a script does, with the Bearer token only (the session cookie would need CSRF).
    client.cookies.clear()
    return {"Authorization": f"Bearer {resp.json()['token']}"}


async def test_demo_spaces_threads_and_visibility(client: AsyncTestClient, settings: Settings) -> None:
    summary = await _load(settings)
    assert summary.users == len(DEMO_USERS)
    assert summary.spaces == len(DEMO_SPACES)
    assert summary.threads == len(DEMO_THREADS)

    # Anonymous readers see every public space, never the restricted LCIPP one.
    public = {s["slug"]: s for s in (await client.get("/api/spaces")).json()["items"]}
    assert "lcipp" not in public
    assert {"subaru", "forest-conservation-certificates", "adaptation-benefits-mechanism"} <= set(public)
    assert public["bolivia-joint-mitigation-adaptation"]["kind"] == "nma"
    assert public["workshop-sbsta63"]["kind"] == "workshop"
    assert public["workshop-sbsta63"]["moderation"] == "pre"
    assert (await client.get("/api/spaces/lcipp")).status_code == 404

    # Each focal point moderates the space of their Party's NMA.
    me = {}
    for key in ("focal_jpn", "focal_mys", "focal_bol", "lcipp", "moderator", "ngo"):
        headers = await _login(client, key)
        me[key] = ((await client.get("/api/me", headers=headers)).json(), headers)
    assert me["focal_jpn"][0]["party"] == "JPN"
    assert public["subaru"]["moderator_ids"] == [me["focal_jpn"][0]["id"]]
    assert public["forest-conservation-certificates"]["moderator_ids"] == [me["focal_mys"][0]["id"]]
    assert public["bolivia-joint-mitigation-adaptation"]["moderator_ids"] == [me["focal_bol"][0]["id"]]

    # The LCIPP space: LCIPP and focal points see it, moderated by the LCIPP representative.
    lcipp_space = await client.get("/api/spaces/lcipp", headers=me["lcipp"][1])
    assert lcipp_space.status_code == 200
    assert lcipp_space.json()["moderator_ids"] == [me["lcipp"][0]["id"]]
    assert (await client.get("/api/spaces/lcipp", headers=me["focal_bol"][1])).status_code == 200
    assert (await client.get("/api/spaces/lcipp", headers=me["ngo"][1])).status_code == 404

    # The welcome thread is pinned, and the workshop holds the round table.
    listing = (await client.get("/api/spaces/workshop-sbsta63/threads")).json()["items"]
    assert listing[0]["pinned"] is True
    round_table = next(t for t in listing if t["title"] == "Round table: points made by participants")

    # One observer post waits for a moderator: the public never sees it, the moderator does.
    public_posts = (await client.get(f"/api/threads/{round_table['id']}/posts")).json()["items"]
    assert all(p["status"] == "published" for p in public_posts)
    mod_posts = (
        await client.get(f"/api/threads/{round_table['id']}/posts", headers=me["moderator"][1])
    ).json()["items"]
    pending = [p for p in mod_posts if p["status"] == "pending"]
    assert len(pending) == 1
    assert pending[0]["author"]["id"] == me["ngo"][0]["id"]
    assert len(mod_posts) == len(public_posts) + 1

    # An open café in the workshop space: a table per NMA, hosted by its focal point.
    cafes = (await client.get("/api/spaces/workshop-sbsta63/cafes")).json()["items"]
    assert len(cafes) == 1
    cafe = (await client.get(f"/api/cafes/{cafes[0]['id']}")).json()
    assert cafe["state"] == "open"
    hosts = {
        t["topic"]: t["host"]["id"] if isinstance(t["host"], dict) else t["host"] for t in cafe["tables"]
    }
    assert hosts["SUBARU: adaptation technology matching"] == me["focal_jpn"][0]["id"]
    assert hosts["Forest Conservation Certificates"] == me["focal_mys"][0]["id"]
    assert len(hosts) == 4

    # Participants write in several UN languages; the report's Chinese is quoted verbatim.
    bodies = []
    for space in public:
        for thread in (await client.get(f"/api/spaces/{space}/threads")).json()["items"]:
            posts = (await client.get(f"/api/threads/{thread['id']}/posts")).json()["items"]
            bodies += [p["body"] for p in posts]
    assert any("mitigación" in b for b in bodies)
    assert any("Mécanisme" in b for b in bodies)
    assert any("世界咖啡馆" in b for b in bodies)


async def test_demo_twice_changes_nothing(client: AsyncTestClient, settings: Settings) -> None:
    await _load(settings)
    before = await _counts(settings)
    again = await _load(settings)
    assert (again.users, again.spaces, again.threads, again.posts) == (0, 0, 0, 0)
    assert again.cafe.startswith("already there")
    assert await _counts(settings) == before


async def test_demo_round_table_is_held_closed_and_attributed_as_the_report_does(
    client: AsyncTestClient, settings: Settings
) -> None:
    await _load(settings)
    listed = (await client.get("/api/spaces/workshop-sbsta63/roundtables")).json()["items"]
    assert len(listed) == 1
    rt = listed[0]
    assert rt["state"] == "closed" and rt["thread_id"] is not None
    said = [i["attributed_as"] for i in rt["interventions"]]
    assert said[0] == "a representative of the Facilitative Working Group"
    assert said[1:] == ["a participant"] * 6
    assert all(i["duration_seconds"] and i["summary"] for i in rt["interventions"])
    posts = (await client.get(f"/api/threads/{rt['thread_id']}/posts")).json()["items"]
    archive = "\n".join(p["body"] for p in posts)
    assert "### 1. A representative of the Facilitative Working Group (5 min 00 s)" in archive
    assert "### 7. A participant (3 min 00 s)" in archive
    assert "Focal point" not in archive
    again = await _load(settings)
    assert again.roundtable.startswith("already there")


async def test_demo_report_has_chapter_two_as_entered_once(
    client: AsyncTestClient, settings: Settings
) -> None:
    summary = await _load(settings)
    assert summary.report.startswith("draft built")
    assert (await _load(settings)).report.startswith("already there")
    headers = await _login(client, "moderator")
    report = (await client.get("/api/spaces/workshop-sbsta63/report", headers=headers)).json()
    assert report["held_from"] == "2025-11-11" and report["venue"] == "Belém, Brazil"
    assert report["revision"] == 1
    assert (
        "The in-session workshop was held on 11 November 2025 in Belém, Brazil. It was opened by the"
        " Vice-Chair of the SBSTA, Carol Franco (Dominican Republic)." in report["body"]
    )
    # The Bolivian host is named as the UN names the Party.
    assert "the representative of the Plurinational State of Bolivia" in report["body"]

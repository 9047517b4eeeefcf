"""The workshop report over HTTP: the draft built from the record in the seed's structure,
only what is published, who may ask, editing with revisions, the Markdown and DOCX
exports, and publishing as a pinned thread."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from docx import Document
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from forum.threads.models import Thread
from tests.conftest import Cast, People, make_space, make_thread
from tests.helpers import WORKSHOP, assert_problem, create_cafe, fetch, workshop

CHAPTERS = [
    "I. Introduction",
    "II. Proceedings",
    "III. Summary of presentations",
    "IV. Summary of the world café",
    "V. Summary of the round table",
    "VI. Reflections on the workshop",
]


def numbers(body: str) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(r"^(\d+)\. ", body, re.MULTILINE)]


def headings(body: str) -> list[str]:
    return [line[3:] for line in body.splitlines() if line.startswith("## ")]


async def held_workshop(client: AsyncTestClient, cast: Cast, people: People) -> dict:
    """A pre-moderated workshop with a presentation, a pending one, a café with a harvest,
    a round table with an intervention, and a poll answered."""
    await workshop(client, cast, moderation="pre")
    jpn = await people.make("focal_point", name="Kenji", party="JPN")
    mys = await people.make("focal_point", name="Aida", party="MYS")
    shown = await make_thread(client, jpn, WORKSHOP, "Adaptation NMAs", "Matching adaptation technologies.")
    # The observer's thread waits for approval: it is no presentation of the report's.
    pending = (
        await client.post(
            f"/api/spaces/{WORKSHOP}/threads",
            json={"title": "Secret plan", "body": "PENDING TEXT"},
            headers=cast.observer.headers,
        )
    ).json()
    reply = await client.post(
        f"/api/threads/{shown['id']}/posts", json={"body": "PENDING REPLY"}, headers=cast.observer.headers
    )
    assert reply.json()["status"] == "pending"
    await make_space(client, cast.admin, "elsewhere", kind="nma")
    other = await make_thread(client, cast.admin, "elsewhere", "Not this workshop", "OTHER SPACE")

    cafe = await create_cafe(client, cast.moderator, [mys])
    table = cafe["tables"][0]
    resp = await client.put(
        f"/api/tables/{table['id']}/harvest", json={"body": "Finance for adaptation."}, headers=mys.headers
    )
    assert resp.status_code == 200, resp.text

    rt = (
        await client.post(
            f"/api/spaces/{WORKSHOP}/roundtables",
            json={"question": "What next?", "turn_seconds": 120},
            headers=cast.moderator.headers,
        )
    ).json()
    await client.post(
        f"/api/roundtables/{rt['id']}/requests", json={"capacity": "fwg"}, headers=cast.lcipp.headers
    )
    view = (
        await client.post(f"/api/roundtables/{rt['id']}/floor", json={}, headers=cast.moderator.headers)
    ).json()
    await client.post(f"/api/roundtables/{rt['id']}/end-turn", headers=cast.moderator.headers)
    resp = await client.put(
        f"/api/interventions/{view['floor']['id']}/summary",
        json={"summary": "Stressed free, prior and informed consent."},
        headers=cast.lcipp.headers,
    )
    assert resp.status_code == 200, resp.text

    poll = (
        await client.post(
            f"/api/spaces/{WORKSHOP}/polls",
            json={
                "title": "Feedback",
                "questions": [
                    {"kind": "rating", "prompt": "Was the workshop informative?"},
                    {"kind": "text", "prompt": "Comments"},
                ],
                "closes_at": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
            },
            headers=cast.moderator.headers,
        )
    ).json()
    for who, rating in ((jpn, 5), (mys, 4)):
        resp = await client.put(
            f"/api/polls/{poll['id']}/response",
            json={"answers": [rating, "Keep the café."]},
            headers=who.headers,
        )
        assert resp.status_code == 200, resp.text
    return {"shown": shown, "pending": pending, "other": other}


async def test_the_draft_follows_the_seed_and_holds_only_what_is_published(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    ids = await held_workshop(client, cast, people)
    resp = await client.post(
        f"/api/spaces/{WORKSHOP}/report",
        json={
            "introduction": "The mandate.\n\nThe scope.",
            "presentation_thread_ids": [ids["shown"]["id"], ids["pending"]["id"], ids["other"]["id"]],
        },
        headers=cast.moderator.headers,
    )
    assert resp.status_code == 200, resp.text
    report = resp.json()
    body = report["body"]
    assert report["revision"] == 1 and report["language"] == "en"
    assert headings(body) == [*CHAPTERS, "Figures"]
    assert numbers(body) == list(range(1, len(numbers(body)) + 1))
    assert "1. The mandate." in body and "2. The scope." in body
    assert (
        "The representative of Japan presented “Adaptation NMAs”: Matching adaptation technologies.[^1]"
        in body
    )
    assert f"[^1]: Thread: /#/thread/{ids['shown']['id']}" in body
    assert (
        "Table 1, on “Topic 1”, was hosted by the representative of Malaysia. Finance for adaptation." in body
    )
    assert (
        "A representative of the Facilitative Working Group: Stressed free, prior and informed consent."
        in body
    )
    assert "2 respondents gave an average rating of 4.5 out of 5" in body and "(a) Keep the café." in body
    # Only published threads of this space: no pending thread, no pending reply, no other space.
    for secret in ("PENDING TEXT", "PENDING REPLY", "Secret plan", "OTHER SPACE"):
        assert secret not in body
    assert "2 Parties (2 representatives), 1 LCIPP representatives" in body
    # Posts: the presentation's first post only (the reply waits).
    assert "Posts: 1. World café: 1 tables" in body and "Round table: 1 interventions" in body


async def test_the_draft_in_another_language(client: AsyncTestClient, cast: Cast, people: People) -> None:
    await held_workshop(client, cast, people)
    resp = await client.post(
        f"/api/spaces/{WORKSHOP}/report", json={"language": "zh"}, headers=cast.admin.headers
    )
    body = resp.json()["body"]
    assert headings(body)[:6] == [
        "一. 引言",
        "二. 议事情况",
        "三. 专题发言摘要",
        "四. 世界咖啡馆讨论摘要",
        "五. 圆桌讨论会摘要",
        "六. 对研讨会的感想",
    ]
    # The content stays as written.
    assert "Finance for adaptation." in body


async def test_only_moderators_of_the_space_see_a_report(client: AsyncTestClient, cast: Cast) -> None:
    await workshop(client, cast)
    await make_space(client, cast.admin, "general", kind="nma")
    for who in (cast.focal_point, cast.lcipp, cast.observer):
        for method, path in (
            ("POST", "/report"),
            ("GET", "/report"),
            ("GET", "/report.md"),
            ("GET", "/report.docx"),
        ):
            resp = await client.request(
                method,
                f"/api/spaces/{WORKSHOP}{path}",
                json={} if method == "POST" else None,
                headers=who.headers,
            )
            assert_problem(resp, 403, names="moderator")
    assert_problem(await client.post(f"/api/spaces/{WORKSHOP}/report", json={}), 401)
    assert_problem(
        await client.post("/api/spaces/general/report", json={}, headers=cast.admin.headers),
        422,
        names="workshop",
    )
    assert_problem(
        await client.get(f"/api/spaces/{WORKSHOP}/report", headers=cast.admin.headers), 404, names="no report"
    )
    assert_problem(await client.post("/api/spaces/nowhere/report", json={}, headers=cast.admin.headers), 404)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"language": "de"}, "language"),
        ({"presentation_thread_ids": [0]}, "presentation_thread_ids"),
        ({"presentation_thread_ids": "1"}, "presentation_thread_ids"),
        ({"introduction": 5}, "introduction"),
        ({"extra": True}, "extra"),
    ],
)
async def test_bad_report_requests_are_refused(
    client: AsyncTestClient, cast: Cast, body: dict, names: str
) -> None:
    await workshop(client, cast)
    resp = await client.post(f"/api/spaces/{WORKSHOP}/report", json=body, headers=cast.moderator.headers)
    assert_problem(resp, (400, 422), names=names)


async def test_edit_export_and_publish(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    ids = await held_workshop(client, cast, people)
    built = (
        await client.post(
            f"/api/spaces/{WORKSHOP}/report",
            json={"presentation_thread_ids": [ids["shown"]["id"]]},
            headers=cast.moderator.headers,
        )
    ).json()
    edited_body = built["body"].replace("Nothing was recorded.", "The secretariat's own words.")
    resp = await client.put(
        f"/api/spaces/{WORKSHOP}/report", json={"body": edited_body}, headers=cast.moderator.headers
    )
    assert resp.status_code == 200 and resp.json()["revision"] == 2
    assert_problem(
        await client.put(
            f"/api/spaces/{WORKSHOP}/report", json={"body": "   "}, headers=cast.moderator.headers
        ),
        (400, 422),
        names="body",
    )
    revisions = (
        await client.get(f"/api/spaces/{WORKSHOP}/report/revisions", headers=cast.moderator.headers)
    ).json()
    assert [(r["number"], r["source"]) for r in revisions] == [(1, "generated"), (2, "edited")]
    assert revisions[0]["body"] == built["body"]

    md = await client.get(f"/api/spaces/{WORKSHOP}/report.md", headers=cast.moderator.headers)
    assert md.status_code == 200 and md.text == edited_body
    assert md.headers["content-type"].startswith("text/markdown")

    resp = await client.get(f"/api/spaces/{WORKSHOP}/report.docx", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    doc = Document(io.BytesIO(resp.content))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert heads == [*CHAPTERS, "Figures", "Notes"]
    paras = [p.text for p in doc.paragraphs if re.match(r"\d+\. ", p.text)]
    assert [int(p.split(".")[0]) for p in paras] == numbers(edited_body)
    assert any(run.font.superscript and run.text == "1" for p in doc.paragraphs for run in p.runs)

    resp = await client.post(f"/api/spaces/{WORKSHOP}/report/publish", headers=cast.moderator.headers)
    assert resp.status_code == 200, resp.text
    thread_id = resp.json()["thread_id"]
    (thread,) = await fetch(db, select(Thread).where(Thread.id == thread_id))
    assert thread.pinned and thread.status == "published"
    posts = (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"]
    assert posts[0]["body"] == edited_body
    # Publishing again after an edit updates the same thread.
    await client.put(
        f"/api/spaces/{WORKSHOP}/report",
        json={"body": edited_body + "\nMore."},
        headers=cast.moderator.headers,
    )
    again = await client.post(f"/api/spaces/{WORKSHOP}/report/publish", headers=cast.moderator.headers)
    assert again.json()["thread_id"] == thread_id
    posts = (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"]
    assert posts[0]["body"].endswith("More.")


async def test_proceedings_settings_are_entered_once_and_drafted(
    client: AsyncTestClient, cast: Cast, people: People
) -> None:
    await held_workshop(client, cast, people)
    # Without settings, chapter II reads the date from the record and names who opened.
    body = (
        await client.post(f"/api/spaces/{WORKSHOP}/report", json={}, headers=cast.moderator.headers)
    ).json()["body"]
    today = datetime.now(UTC).date()
    assert f"The in-session workshop was held on {today.day} " in body
    settings = {
        "held_from": "2025-11-11",
        "venue": "Belém, Brazil",
        "opener": "the Vice-Chair of the SBSTA, Carol Franco (Dominican Republic)",
        "chair": "the co-chairs of the Glasgow Committee",
    }
    built = (
        await client.post(f"/api/spaces/{WORKSHOP}/report", json=settings, headers=cast.moderator.headers)
    ).json()
    assert built["held_from"] == "2025-11-11" and built["held_to"] is None
    assert built["venue"] == "Belém, Brazil" and built["chair"].startswith("the co-chairs")
    assert (
        "The in-session workshop was held on 11 November 2025 in Belém, Brazil. It was opened by the"
        " Vice-Chair of the SBSTA, Carol Franco (Dominican Republic). It was chaired by the co-chairs"
        " of the Glasgow Committee." in built["body"]
    )
    # Entered once: a later build in another language keeps them; dates in that language.
    later = (
        await client.post(
            f"/api/spaces/{WORKSHOP}/report",
            json={"language": "fr", "held_from": "2025-11-11", "held_to": "2025-11-12"},
            headers=cast.moderator.headers,
        )
    ).json()
    assert later["venue"] == "Belém, Brazil"
    assert "s’est tenu le 11 novembre 2025 – 12 novembre 2025 à Belém, Brazil." in later["body"]
    got = (await client.get(f"/api/spaces/{WORKSHOP}/report", headers=cast.moderator.headers)).json()
    assert got["held_to"] == "2025-11-12" and got["opener"].startswith("the Vice-Chair")
    # An empty text clears a setting; clear_dates clears the dates (back to the record's).
    cleared = (
        await client.post(
            f"/api/spaces/{WORKSHOP}/report",
            json={"language": "en", "venue": "", "clear_dates": True},
            headers=cast.moderator.headers,
        )
    ).json()
    assert cleared["venue"] == "" and cleared["held_from"] is None
    assert f"held on {today.day} " in cleared["body"] and " in Belém" not in cleared["body"]


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"held_from": "2025-13-01"}, "held_from"),
        ({"held_to": "2025-11-11"}, "held_to"),
        ({"held_from": "2025-11-11", "held_to": "2025-11-10"}, "held_to"),
        ({"venue": "x" * 301}, "venue"),
        ({"opener": 3}, "opener"),
    ],
)
async def test_bad_settings_are_refused(client: AsyncTestClient, cast: Cast, body: dict, names: str) -> None:
    await workshop(client, cast)
    resp = await client.post(f"/api/spaces/{WORKSHOP}/report", json=body, headers=cast.moderator.headers)
    assert_problem(resp, (400, 422), names=names)


@pytest.mark.parametrize(
    ("language", "party", "fwg", "presenter"),
    [
        ("en", "The representative of Japan", "A representative of the Facilitative Working Group", "Japan"),
        (
            "fr",
            "Le représentant de la Partie (Japon)",
            "Un représentant du Groupe de travail de facilitation",
            "Japon",
        ),
        ("es", "El representante de Japón", "Un representante del Grupo de Trabajo de Facilitación", "Japón"),
        ("ar", "ممثل اليابان", "أحد ممثلي فريق العمل التيسيري", "اليابان"),
        ("ru", "Представитель Стороны (Япония)", "Представитель Рабочей группы по содействию", "Япония"),
        ("zh", "日本代表", "促进工作组的一位代表", "日本"),
    ],
)
async def test_attributions_are_written_in_the_reports_language(
    client: AsyncTestClient, cast: Cast, people: People, language: str, party: str, fwg: str, presenter: str
) -> None:
    ids = await held_workshop(client, cast, people)
    body = (
        await client.post(
            f"/api/spaces/{WORKSHOP}/report",
            json={"language": language, "presentation_thread_ids": [ids["shown"]["id"]]},
            headers=cast.moderator.headers,
        )
    ).json()["body"]
    # Chapter III names the presenter (a focal point of Japan), chapter V the speaker.
    assert party in body and presenter in body
    assert fwg in body
    # The round table's own record stays in English.
    if language != "en":
        assert "Facilitative Working Group" not in body


async def test_a_second_moderator_republishes_into_the_same_thread(
    client: AsyncTestClient, cast: Cast, people: People, db: AsyncSession
) -> None:
    await held_workshop(client, cast, people)
    second = await people.make("observer", name="Second Moderator")
    resp = await client.put(
        f"/api/spaces/{WORKSHOP}/moderators",
        json={"user_ids": [cast.moderator.id, second.id]},
        headers=cast.admin.headers,
    )
    assert resp.status_code == 200, resp.text
    await client.post(f"/api/spaces/{WORKSHOP}/report", json={}, headers=cast.moderator.headers)
    first = await client.post(f"/api/spaces/{WORKSHOP}/report/publish", headers=cast.moderator.headers)
    assert first.status_code == 200, first.text
    thread_id = first.json()["thread_id"]

    # The second moderator edits and publishes: the thread's first post gets a revision.
    report = (await client.get(f"/api/spaces/{WORKSHOP}/report", headers=second.headers)).json()
    resp = await client.put(
        f"/api/spaces/{WORKSHOP}/report",
        json={"body": report["body"] + "\nChecked by the second moderator."},
        headers=second.headers,
    )
    assert resp.status_code == 200, resp.text
    again = await client.post(f"/api/spaces/{WORKSHOP}/report/publish", headers=second.headers)
    assert again.status_code == 200, again.text
    assert again.json()["thread_id"] == thread_id
    threads = await fetch(db, select(Thread).where(Thread.title.startswith("In-session workshop")))
    assert [t.id for t in threads] == [thread_id]
    posts = (await client.get(f"/api/threads/{thread_id}/posts")).json()["items"]
    assert posts[0]["body"].endswith("Checked by the second moderator.")
    revisions = (await client.get(f"/api/posts/{posts[0]['id']}/revisions", headers=second.headers)).json()
    assert len(revisions) >= 2, revisions
    # Publishing the same body again changes nothing.
    await client.post(f"/api/spaces/{WORKSHOP}/report/publish", headers=second.headers)
    assert (
        await client.get(f"/api/posts/{posts[0]['id']}/revisions", headers=second.headers)
    ).json() == revisions

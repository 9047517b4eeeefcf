"""The demo's report draft against the seed (the secretariat's report on the SBSTA 63
workshop, /work/shared/seed/): the same chapters in the same order, paragraphs numbered
consecutively through the document, and the round table's speakers attributed as the seed
attributes them; and the DOCX read back with python-docx."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from forum.demo.content import WORKSHOP
from forum.lib.db import create_engine, make_sessionmaker
from forum.settings import Settings
from forum.threads.models import Thread
from tests.integration.test_demo import _load, _login

SEED_DIR = Path("/work/shared/seed")
ZH_CHAPTERS = ("一.", "二.", "三.", "四.", "五.", "六.")


def seed_text() -> str:
    files = sorted(SEED_DIR.glob("*.txt")) if SEED_DIR.is_dir() else []
    if not files:
        pytest.skip("the seed report is not on this machine")
    return files[0].read_text(encoding="utf-8")


def chapters(text: str) -> list[str]:
    """The chapter numerals of the headings, in order ('一.', '二.', ...)."""
    found = []
    for line in text.splitlines():
        m = re.match(r"^#+\s*(\S+\.)\s", line)
        if m and m.group(1) in ZH_CHAPTERS:
            found.append(m.group(1))
    return found


def paragraphs(text: str) -> list[tuple[int, str]]:
    return [(int(m.group(1)), m.group(2)) for m in re.finditer(r"^(\d+)\.\s*(.*)$", text, re.MULTILINE)]


def chapter_body(text: str, numeral: str) -> str:
    """The text of one chapter, from its heading to the next chapter's."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"^#+\s*{re.escape(numeral)}\s", line))
    end = next(
        (i for i, line in enumerate(lines[start + 1 :], start + 1) if chapters(line)),
        len(lines),
    )
    return "\n".join(lines[start:end])


def seed_attributions(seed: str) -> list[str]:
    """Who speaks in each paragraph of the seed's chapter V: 'fwg' or 'participant'."""
    out = []
    for _, para in paragraphs(chapter_body(seed, "五.")):
        if para.startswith("促进工作组的一位代表"):
            out.append("fwg")
        elif para.startswith("一位与会者"):
            out.append("participant")
    return out


def draft_attributions(draft: str) -> list[str]:
    """The same for the draft, drafted in Chinese: its attributions are the seed's words."""
    out = []
    for _, para in paragraphs(chapter_body(draft, "五.")):
        if para.startswith("促进工作组的一位代表："):
            out.append("fwg")
        elif para.startswith("一位与会者："):
            out.append("participant")
        else:
            out.append(para[:40])
    return out


async def _thread_id(settings: Settings, title_start: str) -> int:
    engine = create_engine(settings)
    try:
        async with make_sessionmaker(engine)() as session:
            found = await session.scalar(select(Thread.id).where(Thread.title.startswith(title_start)))
            assert found is not None
            return found
    finally:
        await engine.dispose()


async def test_the_demo_draft_has_the_seed_structure(client: AsyncTestClient, settings: Settings) -> None:
    seed = seed_text()
    await _load(settings)
    headers = await _login(client, "moderator")
    presentation = await _thread_id(settings, "Presentations of support providers")
    resp = await client.post(
        f"/api/spaces/{WORKSHOP}/report",
        json={
            "language": "zh",
            "introduction": "CMA 4 请秘书处……\n\n本报告介绍……\n\n科技咨询机构不妨注意到本报告中的信息。",
            "presentation_thread_ids": [presentation],
            "held_from": "2025-11-11",
            "venue": "科技咨询机构第六十三届会议期间",
            "opener": "科技咨询机构副主席 Carol Franco(多米尼加共和国)",
            "chair": "格拉斯哥委员会联合主席 El Hadji Mbaye Diagne(塞内加尔)和 Jacqui Ruesga(新西兰)",
        },
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    draft = resp.json()["body"]

    # The chapters I-VI, in the seed's order.
    assert chapters(seed) == list(ZH_CHAPTERS)
    assert chapters(draft) == list(ZH_CHAPTERS)
    # Paragraphs numbered consecutively through the whole document, as in the seed.
    assert [n for n, _ in paragraphs(seed)] == list(range(1, 29))
    numbers = [n for n, _ in paragraphs(draft)]
    assert numbers == list(range(1, len(numbers) + 1))
    # Chapter II's first paragraph from the settings, in the seed's own words.
    proceedings = paragraphs(chapter_body(draft, "二."))[0][1]
    assert proceedings.startswith("会期研讨会于2025年11月11日在科技咨询机构第六十三届会议期间举行。")
    for phrase in (
        "在科技咨询机构第六十三届会议期间举行",
        "会议由科技咨询机构副主席 Carol Franco(多米尼加共和国)宣布开幕",
        "Jacqui Ruesga(新西兰)",
    ):
        assert phrase in proceedings and phrase in seed
    # The round table: the Facilitative Working Group first, then six participants.
    assert seed_attributions(seed) == ["fwg", *["participant"] * 6]
    assert draft_attributions(draft) == seed_attributions(seed)
    # Chapter VI is drawn from the feedback (the closed demo poll).
    reflections = chapter_body(draft, "六.")
    assert "world café" in reflections and "(a)" in reflections
    # A footnote links the presentation's thread.
    assert f"[^1]: 讨论串：/#/thread/{presentation}" in draft

    resp = await client.get(f"/api/spaces/{WORKSHOP}/report.docx", headers=headers)
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.content))
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert [h.split(" ")[0] for h in heads[:6]] == list(ZH_CHAPTERS)
    assert [int(p.text.split(".")[0]) for p in doc.paragraphs if re.match(r"\d+\. ", p.text)] == numbers

"""Search in the six UN languages (and Japanese), real sentences, the same set on SQLite and
PostgreSQL (the suite runs on PostgreSQL when FORUM_TEST_DATABASE_URL is set).

Each case is a query and the posts it must find and must not find. The corpus is posted
through the API, so the index is written the way the application writes it.
"""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Cast, make_space, make_thread
from tests.helpers import make_post

CORPUS = {
    # Chinese: no spaces between words.
    "zh_tech": "我们正在推广适应技术，帮助农村社区应对干旱。",
    "zh_climate": "气候适应是非市场方法的核心内容之一。",
    "zh_forest": "森林保护证书由马来西亚政府提出。",
    # Japanese: kanji, hiragana and katakana without spaces.
    "ja_subaru": "日本のスバル・イニシアティブは二国間協力を通じて適応策を支援します。",
    "ja_transfer": "適応技術の移転についての会合は来週開かれます。",
    # Arabic: harakat, shadda, hamza on alef, alef maqsura, ta marbuta, tatweel.
    "ar_water": "تحسين إدارة المياه على مستوى المجتمع المحلي",
    "ar_adapt": "نناقش آلية منافع التكيُّف في أفريقيا مع الشركاء",
    "ar_climate": "تغيّر الـمناخ يهدد الزراعة في القرى",
    # Russian: case and inflection.
    "ru_platform": "Платформа местных общин и коренных народов обсуждает адаптацию.",
    "ru_forest": "Леса Малайзии сохраняются благодаря сертификатам.",
    # French: accents and case.
    "fr_cafe": "Le café du monde réunit les participants autour des tables thématiques.",
    "fr_eleve": "Les élèves de l'école étudient la résilience côtière.",
    # Spanish: accents and inflection.
    "es_cert": "Los certificados de conservación forestal de Malasia son voluntarios.",
    "es_bolivia": "Bolivia propone un mecanismo conjunto de mitigación y adaptación.",
    # English: inflection, phrases, prefixes.
    "en_cert": "We issue certificates for forest conservation in Sabah.",
    "en_abm": "The adaptation benefits mechanism certifies adaptation outcomes.",
    "en_subaru": "SUBARU supports bilateral cooperation on joint crediting.",
}

# (query, must find, must not find)
CASES: list[tuple[str, set[str], set[str]]] = [
    # A two-character Chinese query finds the word inside longer runs, at either end.
    ("适应", {"zh_tech", "zh_climate"}, {"zh_forest", "ja_subaru", "ja_transfer"}),
    ("适应技术", {"zh_tech"}, {"zh_climate"}),
    ("气候", {"zh_climate"}, {"zh_tech"}),
    ("证书", {"zh_forest"}, {"zh_tech"}),
    # Japanese the same way (適応 is the Japanese form; 适应 the simplified Chinese one).
    ("適応", {"ja_subaru", "ja_transfer"}, {"zh_tech"}),
    ("技術", {"ja_transfer"}, {"ja_subaru"}),
    ("スバル", {"ja_subaru"}, {"ja_transfer"}),
    # Arabic across alef variants, ya / alef maqsura, harakat and tatweel.
    ("ادارة", {"ar_water"}, {"ar_adapt"}),
    ("مستوي", {"ar_water"}, set()),
    ("الْمِيَاهِ", {"ar_water"}, set()),
    ("التكيف", {"ar_adapt"}, {"ar_water"}),
    ("افريقيا", {"ar_adapt"}, set()),
    ("المناخ", {"ar_climate"}, set()),
    ("تغير", {"ar_climate"}, set()),
    # Russian across case and inflection.
    ("ПЛАТФОРМА", {"ru_platform"}, {"ru_forest"}),
    ("платформы", {"ru_platform"}, set()),
    ("адаптация", {"ru_platform"}, set()),
    ("сертификаты", {"ru_forest"}, set()),
    # French and Spanish across case and accents.
    ("cafe", {"fr_cafe"}, {"fr_eleve"}),
    ("CAFÉ", {"fr_cafe"}, set()),
    ("eleves ecole", {"fr_eleve"}, {"fr_cafe"}),
    ("conservacion", {"es_cert"}, set()),
    ("mitigacion", {"es_bolivia"}, set()),
    # English and Spanish inflected forms.
    ("certificate", {"en_cert"}, {"en_subaru"}),
    ("certificado", {"es_cert"}, {"en_subaru"}),
    ("certify", {"en_abm"}, set()),
    # Quoted phrases: the words side by side, in that order.
    ('"adaptation benefits"', {"en_abm"}, {"es_bolivia"}),
    ('"benefits adaptation"', set(), {"en_abm"}),
    ('"joint crediting"', {"en_subaru"}, set()),
    # The last word is a prefix; every word must match.
    ("bilateral coop", {"en_subaru"}, set()),
    ("forest conserv", {"en_cert"}, {"en_abm"}),
    ("forest nothingsuchword", set(), {"en_cert"}),
]


@pytest.fixture
async def corpus(client: httpx.AsyncClient, cast: Cast) -> dict[int, str]:
    await make_space(client, cast.admin, "languages")
    thread = await make_thread(client, cast.focal_point, "languages", title="Six languages", body="Start")
    ids = {}
    for key, body in CORPUS.items():
        ids[(await make_post(client, cast.focal_point, thread["id"], body))["id"]] = key
    return ids


async def found(client: httpx.AsyncClient, corpus: dict[int, str], q: str) -> set[str]:
    resp = await client.get("/api/search", params={"q": q, "kind": "posts", "limit": 100})
    assert resp.status_code == 200, resp.text
    return {corpus[hit["id"]] for hit in resp.json()["items"]}


async def test_every_language_case(client: httpx.AsyncClient, corpus: dict[int, str]) -> None:
    wrong = []
    for q, must, must_not in CASES:
        keys = await found(client, corpus, q)
        if not must <= keys or keys & must_not:
            wrong.append(f"{q!r}: found {sorted(keys)}, wanted {sorted(must)} and none of {sorted(must_not)}")
    assert not wrong, "\n".join(wrong)


async def test_snippets_mark_what_was_found(client: httpx.AsyncClient, corpus: dict[int, str]) -> None:
    resp = await client.get("/api/search", params={"q": "适应"})
    snippets = {corpus[hit["id"]]: hit["snippet"] for hit in resp.json()["items"] if hit["kind"] == "post"}
    assert "<mark>适应</mark>技术" in snippets["zh_tech"]
    assert "气候<mark>适应</mark>" in snippets["zh_climate"]
    resp = await client.get("/api/search", params={"q": "cafe"})
    [hit] = resp.json()["items"]
    assert "Le <mark>café</mark> du monde" in hit["snippet"]
    resp = await client.get("/api/search", params={"q": "certificate"})
    [hit] = resp.json()["items"]
    assert "<mark>certificates</mark>" in hit["snippet"]

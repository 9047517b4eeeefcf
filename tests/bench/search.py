"""Search latency: p50/p99 of a fixed query mix, beside a naive `LIKE '%…%'` scan, on any database.

    .venv/bin/python -m tests.bench.search --database-url sqlite+aiosqlite:////tmp/s.db --fill 100000
    .venv/bin/python -m tests.bench.search --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/forum_bench --fill 100000
    .venv/bin/python -m tests.bench.search --database-url URL          # a database already filled (`forum generate`)

`--fill N` migrates the database and adds N posts in six languages (sentences drawn from
word pools with a fixed seed, 50 posts a thread, over ten spaces of which one is
restricted; 3% pending and 2% hidden), written in bulk, then builds the search index with
the same code as `forum search reindex`, and runs ANALYZE. The pools are small, so every
"word" of the mix is common (a few percent to a fifth of the texts): the hard case. Without `--fill` the database is used as it is.

Each query of the mix runs `--repeats` times through `forum.searching.reads.search` (the
SQL with the visibility rule, the snippets; not HTTP), as a signed-in observer, one after
another, after one warm-up run; the naive scan is `lower(posts.body) LIKE '%word%'` on the
same connection, newest first, 20 rows, as a list endpoint would do it without an index.
Prints one line per query: hits on the first page, p50 and p99 in ms, and the LIKE scan's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from forum.accounts.models import User
from forum.lib.db import create_engine, make_sessionmaker
from forum.lib.migrate import upgrade
from forum.search.rebuild import rebuild_sync
from forum.searching import reads
from forum.settings import Settings
from forum.spaces.models import Space
from forum.spaces.viewers import load_viewer
from forum.threads.models import Post, Thread

# (label, q, filters): words common and rare, phrases, prefixes, every script, filters, order.
MIX: list[tuple[str, str, dict[str, Any]]] = [
    ("en common", "adaptation", {}),
    ("en two words", "forest certificates", {}),
    ("en phrase", '"capacity building"', {}),
    ("en prefix", "certif", {}),
    ("en rare", "glaciers", {}),
    ("es accents", "conservacion", {}),
    ("fr accents", "cafe", {}),
    ("ru case", "ПЛАТФОРМА", {}),
    ("ar variants", "ادارة", {}),
    ("zh bigram", "适应", {}),
    ("ja bigram", "適応", {}),
    ("en newest", "adaptation", {"order": "newest"}),
    # The space: `space-3` of the fill, else the third public space of the database.
    ("en in space", "adaptation", {"space": None}),
    ("en by role", "mitigation", {"role": "focal_point"}),
]

POOLS = {
    "en": [
        "adaptation",
        "mitigation",
        "forest",
        "certificates",
        "capacity",
        "building",
        "finance",
        "communities",
        "resilience",
        "cooperation",
        "technology",
        "transfer",
        "platform",
        "workshop",
        "glaciers",
        "drought",
        "mangroves",
        "coastal",
        "indigenous",
        "knowledge",
        "sustainable",
        "development",
        "national",
        "focal",
        "points",
        "joint",
        "crediting",
    ],
    "es": [
        "adaptación",
        "mitigación",
        "conservación",
        "bosques",
        "certificados",
        "comunidades",
        "resiliencia",
        "cooperación",
        "tecnología",
        "plataforma",
        "taller",
        "sequía",
        "manglares",
        "desarrollo",
        "sostenible",
        "conocimiento",
        "indígena",
    ],
    "fr": [
        "adaptation",
        "atténuation",
        "café",
        "forêts",
        "certificats",
        "communautés",
        "résilience",
        "coopération",
        "technologie",
        "plateforme",
        "atelier",
        "sécheresse",
        "mangroves",
        "développement",
        "durable",
        "savoirs",
        "autochtones",
        "élèves",
    ],
    "ru": [
        "адаптация",
        "смягчение",
        "леса",
        "сертификаты",
        "платформа",
        "общины",
        "устойчивость",
        "сотрудничество",
        "технологии",
        "семинар",
        "засуха",
        "развитие",
        "знания",
        "коренных",
        "народов",
        "климат",
    ],
    "ar": [
        "التكيف",
        "التخفيف",
        "الغابات",
        "الشهادات",
        "المجتمعات",
        "الصمود",
        "التعاون",
        "التكنولوجيا",
        "المنصة",
        "إدارة",
        "المياه",
        "مستوى",
        "الجفاف",
        "التنمية",
        "المستدامة",
        "المعارف",
        "الأصلية",
        "المناخ",
    ],
    "zh": [
        "适应",
        "减缓",
        "森林",
        "证书",
        "社区",
        "韧性",
        "合作",
        "技术",
        "平台",
        "研讨会",
        "干旱",
        "发展",
        "可持续",
        "知识",
        "气候",
        "非市场方法",
    ],
    "ja": [
        "適応",
        "緩和",
        "森林",
        "証書",
        "地域社会",
        "協力",
        "技術",
        "基盤",
        "研究会",
        "干ばつ",
        "開発",
        "持続可能",
        "知識",
        "気候",
    ],
}
JOIN = {"zh": "", "ja": "の"}


def sentence(rng: random.Random, language: str) -> str:
    words = rng.choices(POOLS[language], k=rng.randint(12, 40))
    return JOIN.get(language, " ").join(words) + ("。" if language in ("zh", "ja") else ".")


async def fill(database_url: str, posts: int) -> None:
    await asyncio.to_thread(upgrade, database_url)
    settings = replace(Settings(), database_url=database_url)
    engine = create_engine(settings)
    rng = random.Random(8)
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        users = [
            {
                "email": f"bench{i}@search.example",
                "password_hash": "x",
                "display_name": f"Bench {i}",
                "role": ("observer", "focal_point", "lcipp", "moderator")[i % 4],
                "party": "JPN" if i % 4 == 1 else None,
            }
            for i in range(1000)
        ]
        await conn.execute(insert(User), users)
        first_user = await conn.scalar(select(func.min(User.id)).where(User.email.like("bench%")))
        spaces = [
            {
                "slug": f"space-{i}",
                "title": f"Space {i}",
                "kind": "nma",
                "moderation": "post",
                "visibility": "restricted" if i == 9 else "public",
                "allowed_roles": ["lcipp"] if i == 9 else [],
            }
            for i in range(10)
        ]
        await conn.execute(insert(Space), spaces)
        space_ids = list((await conn.execute(select(Space.id).where(Space.slug.like("space-%")))).scalars())
        languages = list(POOLS)
        threads = posts // 50 or 1
        for start in range(0, threads, 1000):
            rows = [
                {
                    "space_id": space_ids[t % len(space_ids)],
                    "title": sentence(rng, languages[t % len(languages)])[:190],
                    "author_id": first_user + t % 1000,
                    "post_count": 50,
                    "created_at": now - timedelta(days=400),
                    "last_post_at": now,
                }
                for t in range(start, min(threads, start + 1000))
            ]
            await conn.execute(insert(Thread), rows)
        thread_ids = list((await conn.execute(select(Thread.id).order_by(Thread.id))).scalars())[-threads:]
        batch = []
        for n in range(posts):
            body = sentence(rng, languages[n % len(languages)])
            roll = rng.random()
            batch.append(
                {
                    "thread_id": thread_ids[n // 50 % len(thread_ids)],
                    "number": n % 50 + 1 + (n // 50 // len(thread_ids)) * 50,
                    "author_id": first_user + rng.randrange(1000),
                    "body": body,
                    "html": body,
                    "status": "pending" if roll < 0.03 else "hidden" if roll < 0.05 else "published",
                    "created_at": now - timedelta(minutes=posts - n),
                }
            )
            if len(batch) == 5000:
                await conn.execute(insert(Post), batch)
                batch = []
        if batch:
            await conn.execute(insert(Post), batch)
    async with engine.begin() as conn:
        started = time.perf_counter()
        count = await conn.run_sync(rebuild_sync)
        print(f"indexed {count} texts in {time.perf_counter() - started:.0f} s")
    # Fresh planner statistics, as autovacuum (or SQLite's optimize) would have them.
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    await engine.dispose()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(database_url: str, repeats: int) -> list[dict[str, Any]]:
    settings = replace(Settings(), database_url=database_url)
    engine = create_engine(settings, autocommit=True)
    sessions = make_sessionmaker(engine)
    results = []
    async with sessions() as session:
        observer = await session.scalar(
            select(User).where(User.role == "observer").order_by(User.id).limit(1)
        )
        viewer = await load_viewer(session, observer)
        total = await session.scalar(select(func.count()).select_from(Post))
        public = select(Space.slug).where(Space.visibility == "public").order_by(Space.id)
        slugs = list(await session.scalars(public))
        space = "space-3" if "space-3" in slugs else slugs[min(2, len(slugs) - 1)]
        print(f"{total} posts; {repeats} runs of each query as an observer; the space filter: {space}\n")
        print(f"{'query':<16}{'hits':>6}{'p50 ms':>10}{'p99 ms':>10}{'LIKE p50':>11}{'LIKE p99':>11}")
        for label, q, asked in MIX:
            filters = {
                name: space if name == "space" and value is None else value for name, value in asked.items()
            }
            times, like_times = [], []
            hits = 0
            pattern = "%" + q.strip('"').split()[0].lower() + "%"
            like = text(
                "SELECT id FROM posts WHERE status = 'published' AND lower(body) LIKE :p ORDER BY id DESC LIMIT 20"
            )
            for i in range(repeats + 1):
                started = time.perf_counter()
                page = await reads.search(session, viewer, q, reads.Filters(**filters), limit=20)
                elapsed = time.perf_counter() - started
                started = time.perf_counter()
                (await session.execute(like, {"p": pattern})).all()
                like_elapsed = time.perf_counter() - started
                if i:  # the first run warms the caches
                    times.append(elapsed * 1000)
                    like_times.append(like_elapsed * 1000)
                hits = len(page.items)
            row = {
                "query": label,
                "q": q,
                "hits": hits,
                "p50_ms": statistics.median(times),
                "p99_ms": percentile(times, 0.99),
                "like_p50_ms": statistics.median(like_times),
                "like_p99_ms": percentile(like_times, 0.99),
            }
            results.append(row)
            print(
                f"{label:<16}{hits:>6}{row['p50_ms']:>10.1f}{row['p99_ms']:>10.1f}"
                f"{row['like_p50_ms']:>11.1f}{row['like_p99_ms']:>11.1f}"
            )
    await engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--fill", type=int, default=0, help="first add this many posts (and index them)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.fill:
        asyncio.run(fill(args.database_url, args.fill))
    results = asyncio.run(run(args.database_url, args.repeats))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()

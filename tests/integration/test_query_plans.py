"""The hot reads' query plans: no full scan of a big table, no sort of one (SQLite).

A small forum is generated (forum.demo.generate), then each hot read of the scale
benchmark (tests/bench/scale.py: thread pages, the space's thread list, the moderation
queue, the audit log, the spaces, first pages and deep cursors, for each kind of reader)
is sent through the app while its SELECTs are captured, and each is explained with
EXPLAIN QUERY PLAN on the same file. A `SCAN` of posts, threads, events, the audit log,
flags or revisions, or a `USE TEMP B-TREE FOR ORDER BY` over their rows, fails the test
with the statement and its plan (tests/plans.py says what is allowed and why).

SQLite's planner picks an index by its shape when no ANALYZE statistics exist (the
service never runs ANALYZE), so a plan on a small file is the plan at a million posts; the
scale benchmark checks that on both databases at full size. PostgreSQL's planner rightly
reads small tables whole, so this guard runs on SQLite only.
"""

from __future__ import annotations

import re

import pytest
from litestar.testing import AsyncTestClient

from forum.app import create_app
from forum.demo.generate import generate
from forum.settings import Settings
from tests.bench.scale import Request, bench_settings, plan_requests, resolve_cursors
from tests.plans import (
    capture_selects,
    explain_postgres,
    explain_sqlite,
    postgres_problems,
    queue_problems,
    sqlite_path,
    sqlite_problems,
)


async def small_forum(database_url: str) -> tuple[Settings, list[Request], dict[str, dict[str, str]]]:
    """A small generated forum on this database, with the scale benchmark's hot reads of it
    and its readers' headers. Seed 4 leaves a queue longer than a page's first items, so
    the queue's cursor is read too."""
    await generate(database_url, posts=3000, threads=30, spaces=8, users=80, seed=4)
    settings = bench_settings(database_url)
    requests, readers = await plan_requests(database_url, settings)
    return settings, requests, readers


async def test_no_hot_read_scans_or_sorts_a_big_table(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; the scale benchmark explains PostgreSQL's plans at size")
    settings, requests, readers = await small_forum(database_url)
    found: list[str] = []
    explained = 0
    queue_reads = 0
    async with AsyncTestClient(app=create_app(settings), base_url="http://plans.local") as client:
        await resolve_cursors(client, requests, readers)
        assert all(
            req.params.get("cursor")
            for req in requests
            if "last page" in req.path + req.name and "queue" in req.name
        )
        for req in requests:
            for reader in req.readers:
                with capture_selects() as captured:
                    resp = await client.get(req.path, params=req.params, headers=readers[reader])
                assert resp.status_code == 200, (req.name, reader, resp.text)
                for stmt, plan in explain_sqlite(sqlite_path(database_url), captured):
                    explained += 1
                    problems = sqlite_problems(
                        plan, stmt.sql, ordered_walks=req.ordered_walks, bounded_sorts=req.bounded_sorts
                    )
                    if "queue" in req.name:
                        # The queue reads one page's rows: a range of queue_entries (past
                        # the cursor on the last page), then rows by key.
                        problems += queue_problems(plan, deep="last page" in req.name)
                        queue_reads += "queue_entries" in stmt.sql
                    if problems:
                        found.append(
                            f"{req.name} as {reader}: {problems}\n{stmt.sql}\n  " + "\n  ".join(plan)
                        )
    assert explained > len(requests)
    assert queue_reads == 4  # two queue requests, each for two moderators
    assert not found, "\n\n".join(found)


def test_the_guard_sees_a_scan_and_a_sort() -> None:
    # What the guard must catch, in SQLite's own words.
    assert sqlite_problems(["SCAN posts"]) == ["SCAN posts"]
    assert sqlite_problems(["SCAN threads USING INDEX ix_threads_space_keyset"]) != []
    assert sqlite_problems(
        ["SEARCH posts USING INDEX ix_posts_status_created (status=?)", "USE TEMP B-TREE FOR ORDER BY"]
    )
    assert sqlite_problems(["SCAN audit_log"], ordered_walks=frozenset({"audit_log"})) == []
    assert sqlite_problems(["SEARCH posts USING INTEGER PRIMARY KEY (rowid=?)"]) == []
    assert (
        sqlite_problems(
            ["SEARCH flags USING INDEX ix_flags_post_id (post_id=?)", "USE TEMP B-TREE FOR ORDER BY"],
            "SELECT * FROM flags WHERE flags.post_id IN (?, ?, ?) ORDER BY flags.id",
        )
        == []
    )


def test_the_queue_guard_sees_a_walk_of_what_waits() -> None:
    # The reads the queue did before queue_entries: the pending posts and the open flags.
    assert queue_problems(
        ["SEARCH posts USING INDEX ix_posts_status_created (status=? AND (created_at,id)>(?,?))"], deep=True
    )
    assert queue_problems(["SEARCH flags USING INDEX ix_flags_open (resolved_at=?)"], deep=False)
    assert queue_problems(["SCAN queue_entries"], deep=False)
    entries = (
        "SEARCH queue_entries USING COVERING INDEX ix_queue_entries_space_kind_since (space_id=? AND kind=?)"
    )
    assert queue_problems([entries], deep=True) == [entries]
    assert queue_problems([entries, "SEARCH posts USING INTEGER PRIMARY KEY (rowid=?)"], deep=False) == []
    assert (
        queue_problems(
            [
                "SEARCH queue_entries USING COVERING INDEX ix_queue_entries_kind_since (kind=? AND (since,post_id)>(?,?))"
            ],
            deep=True,
        )
        == []
    )


def test_the_postgres_check_sees_scans_sorts_and_long_walks() -> None:
    # Lines as EXPLAIN (ANALYZE, BUFFERS) prints them.
    seq = "->  Seq Scan on posts  (cost=0.00..1.0 rows=1 width=8) (actual time=0.01..9.0 rows=3 loops=1)"
    walk = (
        "->  Index Scan using ix_posts_status_created on posts posts_1  (cost=0.42..11038.89 rows=5800"
        " width=24) (actual time=0.029..60.454 rows=6530 loops=1)"
    )
    loops = "->  Index Scan using pk_posts on posts  (cost=0.42..8.30 rows=1 width=883) (actual time=0.009..0.009 rows=1 loops=6644)"
    sort = "->  Sort  (cost=13122.27..13122.77 rows=199 width=1398) (actual time=190.995..191.012 rows=6644 loops=1)"
    page = "->  Index Scan using uq_posts_thread_id on posts  (cost=0.42..9.0 rows=51 width=8) (actual time=0.02..0.3 rows=51 loops=1)"
    small_seq = "->  Seq Scan on space_moderators  (cost=0.00..1.30 rows=1 width=8) (actual time=0.004..0.004 rows=0 loops=1)"
    assert postgres_problems([seq, walk, loops, sort]) == [
        seq.strip(),
        walk.strip(),
        loops.strip(),
        sort.strip(),
    ]
    assert postgres_problems([page, small_seq]) == []


async def test_a_long_thread_s_first_page_reads_a_page_of_posts_on_postgresql(database_url: str) -> None:
    """The page of posts is a subquery with its own ORDER BY and LIMIT (forum.threads.reads):
    joined to the thread directly, PostgreSQL read every post of the thread and sorted them
    for a page (450 ms for a thread of 56,601 posts at 1 M posts)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner; SQLite's plan is guarded above")
    settings, requests, readers = await small_forum(database_url)
    first_pages = [req for req in requests if req.name == "long thread, first page"]
    assert first_pages
    found: list[str] = []
    async with AsyncTestClient(app=create_app(settings), base_url="http://plans.local") as client:
        for req in first_pages:
            for reader in req.readers:
                with capture_selects() as captured:
                    resp = await client.get(req.path, params=req.params, headers=readers[reader])
                assert resp.status_code == 200, resp.text
                assert len(resp.json()["items"]) == 50
                thread = (await client.get(req.path.removesuffix("/posts"), headers=readers[reader])).json()
                assert thread["post_count"] > 500  # long enough for a walk of all of it to show
                assert captured
                for stmt, plan in await explain_postgres(database_url, captured):
                    # A page of 50 reads about 51 posts, whatever the thread's length, and
                    # sorts no more. (The other tables are small here: read whole, rightly.)
                    problems = [
                        step
                        for step in postgres_problems(plan, big=100, many=200)
                        if " on posts " in step or "Sort" in step
                    ]
                    if problems:
                        found.append(f"{reader}: {problems}\n{stmt.sql}\n  " + "\n  ".join(plan))
    assert not found, "\n\n".join(found)


def _posts_read_and_dropped(plan: list[str], many: int) -> list[str]:
    """Scans of posts that read more than `many` rows only to drop them by a filter: a walk
    the step's own row count does not show (it counts the rows kept)."""
    problems = []
    step = ""
    for line in plan:
        if "->" in line:
            step = line.strip()
        elif (
            (found := re.search(r"Rows Removed by Filter: (\d+)", line))
            and " on posts " in step
            and int(found.group(1)) > many
        ):
            problems.append(f"{step} [{line.strip()}]")
    return problems


def test_the_walk_guard_sees_rows_read_and_dropped() -> None:
    walk = [
        "->  Index Scan using ix_posts_thread_author on posts posts_1  (cost=0.28..51.61 rows=8 width=8)"
        " (actual time=0.228..0.228 rows=0 loops=1)",
        "      Filter: ((number > thread_users.last_read_number) AND (author_id <> $7))",
        "      Rows Removed by Filter: 699",
    ]
    assert len(_posts_read_and_dropped(walk, many=200)) == 1
    assert _posts_read_and_dropped([walk[0], walk[1], "      Rows Removed by Filter: 5"], many=200) == []


async def test_a_signed_in_thread_list_counts_unread_posts_past_the_reader_on_the_generic_plan(
    database_url: str,
) -> None:
    """The service's statements run on PostgreSQL's generic plan after their fifth run,
    planned without their parameters' values. With the post status bound, that plan took
    `published` for a rare status and counted a reader's unread posts of a long thread by
    walking every post of it (75 ms for 56,601 posts at 1 M); written into the SQL
    (`policy.status_literal`), it reads only the posts past the reader's position."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's generic plans")
    settings, requests, readers = await small_forum(database_url)
    lists = [req for req in requests if req.name == "thread list, first page"]
    long_page = next(req for req in requests if req.name == "long thread, last page")
    assert lists
    found: list[str] = []
    async with AsyncTestClient(app=create_app(settings), base_url="http://plans.local") as client:
        await resolve_cursors(client, [long_page], readers)
        # The observer reads the long thread to its end: their position is past every
        # post, so an unread count needs to read none of them.
        resp = await client.get(long_page.path, params=long_page.params, headers=readers["observer"])
        assert resp.status_code == 200, resp.text
        for req in lists:
            with capture_selects() as captured:
                resp = await client.get(req.path, params=req.params, headers=readers["observer"])
            assert resp.status_code == 200, resp.text
            listed = {t["id"]: t for t in resp.json()["items"]}
            long_id = int(long_page.path.split("/")[3])
            assert long_id in listed and listed[long_id]["post_count"] > 500
            assert listed[long_id]["unread"] == 0
            for stmt, plan in await explain_postgres(database_url, captured, generic=True):
                problems = [
                    step for step in postgres_problems(plan, big=100, many=200) if " on posts " in step
                ]
                problems += _posts_read_and_dropped(plan, many=200)
                if problems:
                    found.append(f"{problems}\n{stmt.sql}\n  " + "\n  ".join(plan))
    assert not found, "\n\n".join(found)

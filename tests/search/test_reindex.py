"""`forum search reindex` and the migration's backfill build the index the writes build: the
demo (loaded through the services, so indexed as it was written) answers the same queries
after the index is emptied and rebuilt, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from alembic import command
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from forum.app import create_app
from forum.lib.migrate import alembic_config, upgrade
from forum.settings import Settings
from tests.integration.test_cli import cli_db, forum  # noqa: F401 (the fixture)

# The demo's seed is Chinese, its discussions English.
QUERIES = ("世界咖啡", "咖啡", "非市场方法", "SUBARU", "certificates", '"world café"', "adapt")


def _answers(database_url: str) -> dict[str, list[tuple[str, int]]]:
    async def go() -> dict[str, list[tuple[str, int]]]:
        settings = replace(Settings(), database_url=database_url, secret_key="x" * 40, auto_migrate=False)
        found = {}
        async with AsyncTestClient(app=create_app(settings)) as client:
            for q in QUERIES:
                resp = await client.get("/api/search", params={"q": q, "limit": 100})
                assert resp.status_code == 200, resp.text
                found[q] = sorted((hit["kind"], hit["id"]) for hit in resp.json()["items"])
        return found

    return asyncio.run(go())


def _empty_index(database_url: str) -> None:
    async def go() -> None:
        engine = create_async_engine(database_url)
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM search_entries"))
            if engine.dialect.name == "sqlite":
                await conn.execute(text("DELETE FROM search_fts"))
        await engine.dispose()

    asyncio.run(go())


def test_reindex_rebuilds_what_the_writes_built(cli_db: str, tmp_path: Path) -> None:  # noqa: F811
    forum(cli_db, tmp_path, "demo")
    written = _answers(cli_db)
    assert all(written.values()), written  # every query finds something in the demo
    _empty_index(cli_db)
    assert not any(_answers(cli_db).values())
    out = forum(cli_db, tmp_path, "search", "reindex")
    assert out.stdout.startswith("indexed ")
    assert _answers(cli_db) == written


def test_the_migration_indexes_what_is_already_there(cli_db: str, tmp_path: Path) -> None:  # noqa: F811
    forum(cli_db, tmp_path, "demo")
    written = _answers(cli_db)
    command.downgrade(alembic_config(cli_db), "0006_roundtables")  # drops the index
    upgrade(cli_db)  # 0007_search creates it and indexes every text already there
    assert _answers(cli_db) == written

"""The web client's files and the API's JSON go out compressed and cacheable (issue 13, item 12).

Against the real app: ETags and `304 Not Modified`, gzip when Accept-Encoding asks (and not
otherwise), `no-cache` for modules, a year's `immutable` for the versioned URLs that
index.html names, the favicon with its type, JSON and /metrics compressed and still right,
problem+json untouched, and `GET /api/session` answering a signed-out caller without a 401.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from forum.lib.client_files import IMMUTABLE, ClientFiles, accepts_gzip, etag_matches
from tests.conftest import People

STATIC = Path(__file__).resolve().parents[2] / "static"
IDENTITY = {"accept-encoding": "identity"}
GZIP = {"accept-encoding": "gzip, deflate, br"}


async def _raw(client: AsyncTestClient, path: str, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    """Status, headers and the bytes as sent (httpx would otherwise decode gzip for us)."""
    async with client.stream("GET", path, headers=headers) as resp:
        body = b"".join([chunk async for chunk in resp.aiter_raw()])
        return resp.status_code, dict(resp.headers), body


@pytest.mark.parametrize("path", ["/js/app.js", "/css/app.css", "/i18n/fr.json", "/", "/js/views/thread.js"])
async def test_files_are_gzipped_when_asked_and_only_then(client: AsyncTestClient, path: str) -> None:
    status, headers, body = await _raw(client, path, GZIP)
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    plain = gzip.decompress(body)
    assert int(headers["content-length"]) == len(body) < len(plain)

    status, headers, body = await _raw(client, path, IDENTITY)
    assert status == 200
    assert "content-encoding" not in headers
    assert body == plain
    if path != "/":
        assert body == (STATIC / path.lstrip("/")).read_bytes()


async def test_modules_revalidate_with_etags(client: AsyncTestClient) -> None:
    for headers in (IDENTITY, GZIP):
        first = await client.get("/js/api.js", headers=headers)
        assert first.status_code == 200
        assert first.headers["cache-control"] == "no-cache"
        assert first.headers["content-type"].startswith("text/javascript")
        etag = first.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{20}(-gz)?"', etag)
        again = await client.get("/js/api.js", headers={**headers, "if-none-match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        assert again.headers["cache-control"] == "no-cache"
    # A changed file (another ETag) is sent in full.
    other = await client.get("/js/api.js", headers={"if-none-match": '"0000"'})
    assert other.status_code == 200 and other.content


async def test_index_names_versioned_files_served_immutable(client: AsyncTestClient) -> None:
    index = await client.get("/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    assert index.headers["cache-control"] == "no-cache"
    assert index.text == (await client.get("/index.html")).text
    css = re.search(r'href="\./css/app\.css\?v=([0-9a-f]{10})"', index.text)
    icon = re.search(r'href="\./favicon\.svg\?v=([0-9a-f]{10})"', index.text)
    assert css and icon, index.text
    # Modules keep one URL each: a module fetched under two URLs would run twice.
    assert 'src="./js/app.js"' in index.text
    assert "app.js?v=" not in index.text

    resp = await client.get(f"/css/app.css?v={css.group(1)}")
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == IMMUTABLE
    assert resp.content == (STATIC / "css" / "app.css").read_bytes()
    # An old version's URL gets today's file, but not for a year.
    stale = await client.get("/css/app.css?v=0123456789")
    assert stale.status_code == 200 and stale.headers["cache-control"] == "no-cache"

    favicon = await client.get(f"/favicon.svg?v={icon.group(1)}")
    assert favicon.status_code == 200
    assert favicon.headers["content-type"] == "image/svg+xml"
    assert favicon.headers["cache-control"] == IMMUTABLE
    assert b"<svg" in favicon.content


async def test_index_follows_a_changed_stylesheet(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "index.html").write_text('<link rel="stylesheet" href="./css/app.css">')
    (tmp_path / "css" / "app.css").write_text("body { color: black; }")
    files = ClientFiles(tmp_path)
    first = files.get("index.html")
    assert first is not None
    (tmp_path / "css" / "app.css").write_text("body { color: navy; }")
    second = files.get("index.html")
    assert second is not None and second.body != first.body
    css = files.get("css/app.css")
    assert css is not None
    assert f"app.css?v={css.digest[:10]}".encode() in second.body


@pytest.mark.parametrize(
    "path", ["/../pyproject.toml", "/js/../../setup.py", "/.hidden", "/no-such-file.js", "/js"]
)
async def test_nothing_outside_the_client_is_served(client: AsyncTestClient, path: str) -> None:
    resp = await client.get(path)
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_accept_encoding_and_if_none_match_parsing() -> None:
    assert accepts_gzip("gzip") and accepts_gzip("br, gzip;q=0.5") and accepts_gzip("*")
    assert not accepts_gzip("") and not accepts_gzip("identity") and not accepts_gzip("gzip;q=0")
    assert etag_matches('W/"abc", "def"', '"abc"') and etag_matches("*", '"x"')
    assert not etag_matches('"abc"', '"abcd"')


async def test_head_gives_the_headers_without_a_body(client: AsyncTestClient) -> None:
    resp = await client.head("/js/app.js", headers=IDENTITY)
    assert resp.status_code == 200
    assert resp.content == b""
    assert resp.headers["etag"]
    assert int(resp.headers["content-length"]) == (STATIC / "js" / "app.js").stat().st_size


async def test_json_and_metrics_are_compressed_and_still_right(client: AsyncTestClient) -> None:
    status, headers, body = await _raw(client, "/schema/openapi.json", GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert b'"openapi"' in gzip.decompress(body)
    decoded = await client.get("/schema/openapi.json", headers=GZIP)
    assert decoded.json()["openapi"]

    status, headers, body = await _raw(client, "/metrics", GZIP)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert b"# TYPE" in gzip.decompress(body)
    status, headers, body = await _raw(client, "/metrics", IDENTITY)
    assert status == 200 and "content-encoding" not in headers and b"# TYPE" in body

    # A problem stays a problem: its type, its JSON.
    resp = await client.get("/api/posts/999999", headers=GZIP)
    assert resp.status_code == 404
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert resp.json()["status"] == 404


async def test_session_answers_signed_out_callers_without_401(
    client: AsyncTestClient, people: People
) -> None:
    alice = await people.make()
    resp = await client.get("/api/session")
    assert resp.status_code == 200
    assert resp.json() == {"signed_in": False, "user": None}
    assert "csrftoken" in resp.cookies
    stale = await client.get("/api/session", headers={"authorization": "Bearer not-a-token"})
    assert stale.status_code == 200 and stale.json()["signed_in"] is False

    mine = await client.get("/api/session", headers=alice.headers)
    assert mine.status_code == 200
    body = mine.json()
    assert body["signed_in"] is True
    me = await client.get("/api/me", headers=alice.headers)
    assert body["user"] == me.json()

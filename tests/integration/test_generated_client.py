"""A Python client generated from the served schema (openapi-python-client) works as typed.

The schema is read from the service, a client package is generated from it into a
temporary folder, imported, and used against a real server: a repeated client_id comes
back as the first Post (not `None`), and errors come back as typed Problems with their
`code` and `field` (not untyped).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import Cast, make_space, make_thread
from tests.realtime.conftest import Live, live

pytest.importorskip("openapi_python_client", reason="openapi-python-client is not installed")

PACKAGE = "forum_api_client"
__all__ = ["live"]  # the live server fixture (a real uvicorn on loopback)


def _generator() -> list[str]:
    script = Path(sys.executable).with_name("openapi-python-client")
    return (
        [str(script)]
        if script.exists()
        else [shutil.which("openapi-python-client") or "openapi-python-client"]
    )


@pytest.fixture
async def generated(tmp_path: Path, live: Live) -> AsyncIterator[ModuleType]:
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps((await live.http.get("/schema/openapi.json")).json()))
    # The generator is a program of its own (it also runs ruff): off the event loop.
    result = await asyncio.to_thread(
        subprocess.run,
        [
            *_generator(),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (tmp_path / PACKAGE / "__init__.py").exists(), result.stdout + result.stderr
    # Warnings would mean parts of the schema the generator could not turn into code.
    assert "Warning" not in result.stdout.replace("ruff is not in PATH", ""), result.stdout
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


async def test_a_generated_client_gets_typed_answers_and_typed_errors(
    generated: ModuleType, live: Live, cast: Cast
) -> None:
    await make_space(live.http, cast.admin, "agora")
    thread = await make_thread(live.http, cast.observer, "agora")
    create_post = importlib.import_module(f"{PACKAGE}.api.threads.create_post")
    models = importlib.import_module(f"{PACKAGE}.models")
    client = generated.AuthenticatedClient(base_url=live.base_url, token=cast.observer.token)
    async with client:
        body = models.PostIn(body="From a generated client", client_id="gen-1")
        first = await create_post.asyncio_detailed(thread["id"], client=client, body=body)
        again = await create_post.asyncio_detailed(thread["id"], client=client, body=body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert isinstance(first.parsed, models.PostOut) and isinstance(again.parsed, models.PostOut)
        assert again.parsed.id == first.parsed.id and again.parsed.client_id == "gen-1"

        blank = await create_post.asyncio_detailed(
            thread["id"], client=client, body=models.PostIn(body="   ")
        )
        assert blank.status_code == 400
        assert isinstance(blank.parsed, models.Problem)
        assert (blank.parsed.code, blank.parsed.field) == ("bad_request", "body")

        missing = await create_post.asyncio_detailed(999_999, client=client, body=models.PostIn(body="x"))
        assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
        assert missing.parsed.code == "not_found"

    anonymous = generated.Client(base_url=live.base_url)
    async with anonymous:
        refused = await create_post.asyncio_detailed(
            thread["id"], client=anonymous, body=models.PostIn(body="x")
        )
        assert refused.status_code == 401 and isinstance(refused.parsed, models.Problem)
        assert refused.parsed.code == "unauthorized"

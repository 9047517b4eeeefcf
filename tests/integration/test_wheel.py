"""The wheel installs and serves the site outside the checkout.

`pip install .`, `pipx install` and `pip install git+...` install a built copy of the
package, not the checkout: the migrations and the web client have to travel inside the
wheel. This test builds the wheel with pip from a copy of the repository, installs it into
a fresh virtual environment in a temporary folder and, from an empty working directory,
runs `forum db upgrade`, `forum demo` and `forum serve`, then fetches the web client and
the API.

The new environment gets no packages from the index: it sees the dependencies already
installed for the tests through a .pth file naming the current site-packages. Those
folders are added as plain paths, so the .pth files inside them (among them the editable
install of the checkout) are not run: `forum` can only come from the wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from forum.demo.content import DEMO_SPACES
from tests.helpers import stop_process

ROOT = Path(__file__).resolve().parents[2]
# An upper bound for a step, not a performance check.
STEP_TIMEOUT = 120
SERVER_START_TIMEOUT = 30
# Left out of the copy the wheel is built from: local state, caches, earlier builds.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "build",
    "dist",
    "*.egg-info",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "*.db",
    "*.db-shm",
    "*.db-wal",
    "forum-secret.key",
)


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=STEP_TIMEOUT, stdin=subprocess.DEVNULL, **kwargs
    )
    assert result.returncode == 0, f"{' '.join(argv)}:\n{result.stdout}\n{result.stderr}"
    return result


def _site_folders() -> list[str]:
    """Where the running interpreter finds the dependencies."""
    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return [f for f in dict.fromkeys(folders) if Path(f).is_dir() and Path(f).resolve() != ROOT]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment with the wheel of the project installed, and no checkout in sight."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    wheelhouse = base / "wheelhouse"
    build = ["wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheelhouse), str(source)]
    _run([sys.executable, "-m", "pip", *build])
    wheels = list(wheelhouse.glob("forum-*.whl"))
    assert len(wheels) == 1, wheels

    venv = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    # pip of the running environment installs into the new one (`--python`), from the file alone.
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    _run([*pip, "install", "--no-deps", "--no-index", "--quiet", str(wheels[0])])
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = _run([str(python), "-c", where]).stdout.strip()
    Path(purelib, "_forum_test_dependencies.pth").write_text("\n".join(_site_folders()) + "\n")
    return venv


def _env(cwd: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FORUM_", "PYTHON"))}
    env["PYTHONNOUSERSITE"] = "1"
    env["HOME"] = str(cwd)
    env["FORUM_LOG_LEVEL"] = "WARNING"
    return env


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory outside the checkout: forum.db lands here."""
    assert not tmp_path.resolve().is_relative_to(ROOT), "the temporary folder must be outside the checkout"
    return tmp_path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serving(venv: Path, workdir: Path) -> Iterator[str]:
    """`forum serve` from the installed wheel, on a free loopback port: its base URL."""
    port = _free_port()
    log_path = workdir / "serve.log"
    with log_path.open("w") as log:
        argv = ["-m", "forum", "serve", "--host", "127.0.0.1", "--port", str(port)]
        proc = subprocess.Popen(
            [str(venv / "bin" / "python"), *argv],
            cwd=workdir,
            env=_env(workdir),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            up = False
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    up = httpx.get(f"{base}/health", timeout=5).status_code == 200
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            assert up, f"the server did not come up healthy:\n{log_path.read_text()}"
            yield base
        finally:
            stop_process(proc, 15)


def test_the_installed_package_is_the_wheel_with_its_folders(installed: Path, workdir: Path) -> None:
    probe = (
        "import json, forum\n"
        "from forum.settings import resource_dir\n"
        "from forum.settings import Settings\n"
        "print(json.dumps([forum.__file__, str(resource_dir('migrations')), Settings().static_dir]))\n"
    )
    out = _run([str(installed / "bin" / "python"), "-c", probe], cwd=workdir, env=_env(workdir)).stdout
    package, migrations, static = (Path(p) for p in json.loads(out))
    for path in (package, migrations, static):
        assert path.is_relative_to(installed), f"{path} is not in the installed environment {installed}"
    assert (migrations / "env.py").is_file()
    assert (static / "index.html").is_file()
    # No alembic.ini is needed once installed, and none is shipped.
    assert not list(installed.rglob("alembic.ini"))


def test_db_upgrade_demo_and_serve_from_an_empty_directory(installed: Path, workdir: Path) -> None:
    # The console script a pipx user types, then `python -m forum` of the same environment.
    _run([str(installed / "bin" / "forum"), "db", "upgrade"], cwd=workdir, env=_env(workdir))
    assert (workdir / "forum.db").is_file()
    _run([str(installed / "bin" / "python"), "-m", "forum", "demo"], cwd=workdir, env=_env(workdir))

    with _serving(installed, workdir) as server:
        page = httpx.get(f"{server}/", timeout=10)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        title = re.search(r"<title>.*?</title>", (ROOT / "static" / "index.html").read_text(), re.S)
        assert title is not None
        assert title.group(0) in page.text
        assert httpx.get(f"{server}/js/app.js", timeout=10).status_code == 200

        spaces = httpx.get(f"{server}/api/spaces", timeout=10)
        assert spaces.status_code == 200
        slugs = {space["slug"] for space in spaces.json()["items"]}
        public = {space.slug for space in DEMO_SPACES if space.visibility == "public"}
        assert public <= slugs, f"demo spaces missing from /api/spaces: {public - slugs}"

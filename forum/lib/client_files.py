"""The web client's files (`static/`): validators, revalidation, gzip and versioned URLs.

The client has no build step, so its JavaScript modules import each other by plain
relative paths (`./api.js`): a module's URL must be the same wherever it is named, or the
browser would load and run it twice. Those URLs cannot carry a content hash, so every file
is served with a strong `ETag` and `Cache-Control: no-cache`: the browser keeps its copy
and asks again each time, and an unchanged file costs a `304 Not Modified` with no body.

`index.html` itself is rewritten when served: its references to files that are not modules
(the stylesheet, the icon) get `?v=<hash of the file>`, and a request that names the
current hash is answered with a year's `max-age` and `immutable`: a change of the file
changes its URL, so a long cache never serves a stale stylesheet. A request with another
(old) hash gets today's file, marked `no-cache`, so it is not kept under the old name.

Each file is read once, hashed and gzipped (level 9, once) and kept in memory until its
size or modification time changes; a request that accepts gzip gets the compressed bytes,
with their own ETag (`"<hash>-gz"`), `Content-Encoding: gzip` and `Vary: Accept-Encoding`.
The app's compression middleware leaves these responses alone (`SKIP_COMPRESSION`).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from litestar import Request, Response, Router, get, head
from litestar.exceptions import NotFoundException

# The route option that tells the app's compression middleware to leave a response alone.
SKIP_COMPRESSION = "skip_compression"

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Smaller files are not worth a gzip header (and the compression middleware agrees).
MIN_GZIP_SIZE = 500

# Litestar adds `; charset=utf-8` to text/ types itself.
_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
    ".webmanifest": "application/manifest+json",
}
_COMPRESSIBLE = {".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt", ".webmanifest"}
# `href="./css/app.css"` or `src="./favicon.svg"` in index.html (modules excluded below).
_REFERENCE = re.compile(r'\b(href|src)="\./([A-Za-z0-9_./-]+)"')


@dataclass(frozen=True)
class ClientFile:
    """One file as served: its bytes, gzipped bytes (None when not worth it), type, hash."""

    body: bytes
    gzipped: bytes | None
    media_type: str
    digest: str
    stamp: tuple[int, int]  # (st_mtime_ns, st_size) when read

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'

    @property
    def gzip_etag(self) -> str:
        return f'"{self.digest}-gz"'


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:20]


def _media_type(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def accepts_gzip(header: str) -> bool:
    """Does an Accept-Encoding header accept gzip (`gzip`, `gzip;q=0.5`, `*`), not `q=0`?"""
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() not in ("gzip", "*"):
            continue
        q = params.strip().lower()
        if q.startswith("q="):
            try:
                return float(q[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def etag_matches(header: str, *etags: str) -> bool:
    """Does an If-None-Match header name one of `etags` (weak comparison, or `*`)?"""
    wanted = set(etags)
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag in wanted:
            return True
    return False


class ClientFiles:
    """The files under `root`, read, hashed and compressed once each, re-read when changed."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self._files: dict[str, ClientFile] = {}
        # The hashes written into the kept index.html, by the name they follow.
        self._index_versions: dict[str, str | None] = {}

    def _locate(self, name: str) -> Path | None:
        parts = PurePosixPath(name.lstrip("/")).parts
        if not parts or any(p in ("..", ".") or p.startswith(".") for p in parts):
            return None
        path = self.root.joinpath(*parts)
        try:
            resolved = path.resolve()
        except OSError:
            return None
        if self.root not in resolved.parents or not resolved.is_file():
            return None
        return resolved

    def get(self, name: str) -> ClientFile | None:
        """The file at `name` (relative to the root), or None if there is none."""
        path = self._locate(name)
        if path is None:
            return None
        try:
            st = path.stat()
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        key = path.relative_to(self.root).as_posix()
        known = self._files.get(key)
        fresh = known is not None and known.stamp == stamp
        if known is not None and fresh and (key != "index.html" or self._references_fresh()):
            return known
        try:
            body = path.read_bytes()
        except OSError:
            return None
        if key == "index.html":
            body = self._versioned(body)
        self._files[key] = made = self._make(key, body, stamp)
        return made

    def _make(self, key: str, body: bytes, stamp: tuple[int, int]) -> ClientFile:
        gzipped = None
        if PurePosixPath(key).suffix.lower() in _COMPRESSIBLE and len(body) >= MIN_GZIP_SIZE:
            packed = gzip.compress(body, compresslevel=9, mtime=0)
            gzipped = packed if len(packed) < len(body) else None
        return ClientFile(body, gzipped, _media_type(key), _digest(body), stamp)

    def _version_of(self, name: str) -> str | None:
        if name.endswith((".js", ".mjs")):
            return None  # modules keep one URL each (see the module's docstring)
        found = self.get(name)
        return found.digest[:10] if found is not None else None

    def _versioned(self, html: bytes) -> bytes:
        """index.html with `?v=<hash>` after each reference to a file that is not a module."""
        self._index_versions = {}

        def add_version(m: re.Match[str]) -> str:
            attr, name = m.group(1), m.group(2)
            version = self._version_of(name)
            self._index_versions[name] = version
            return f'{attr}="./{name}?v={version}"' if version else m.group(0)

        return _REFERENCE.sub(add_version, html.decode("utf-8")).encode("utf-8")

    def _references_fresh(self) -> bool:
        """Do the hashes written into the kept index.html still match their files?"""
        return all(self._version_of(name) == v for name, v in self._index_versions.items())

    def respond(self, request: Request, name: str, *, head_only: bool = False) -> Response[bytes]:
        """The response to a GET (or HEAD) of `name`: 200, 304, or NotFoundException."""
        found = self.get(name)
        if found is None:
            raise NotFoundException(f"no file {name!r} in the web client")
        version = request.query_params.get("v")
        # Long caching only for the URL of the current version (see the module's docstring).
        cache_control = IMMUTABLE if version == found.digest[:10] else REVALIDATE
        zipped = found.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", ""))
        etag = found.gzip_etag if zipped else found.etag
        headers = {"cache-control": cache_control, "etag": etag}
        if found.gzipped is not None:
            headers["vary"] = "Accept-Encoding"
        if etag_matches(request.headers.get("if-none-match", ""), found.etag, found.gzip_etag):
            return Response(b"", status_code=304, headers=headers, media_type=found.media_type)
        body = found.gzipped if zipped else found.body
        assert body is not None
        if zipped:
            headers["content-encoding"] = "gzip"
        if head_only:
            headers["content-length"] = str(len(body))
            body = b""
        return Response(body, status_code=200, headers=headers, media_type=found.media_type)


def client_files_router(directory: str | Path, name: str = "client") -> Router:
    """GET and HEAD of every file under `directory`, and `/` for its index.html."""
    files = ClientFiles(directory)

    @get("/", name=f"{name}/index", include_in_schema=False)
    async def index(request: Request) -> Response[bytes]:
        return files.respond(request, "index.html")

    @get("/{file_path:path}", name=name, include_in_schema=False)
    async def file(request: Request, file_path: Path) -> Response[bytes]:
        return files.respond(request, file_path.as_posix())

    @head("/{file_path:path}", name=f"{name}/head", include_in_schema=False)
    async def file_head(request: Request, file_path: Path) -> Response[None]:
        sent = files.respond(request, file_path.as_posix(), head_only=True)
        return Response(None, status_code=sent.status_code, headers=sent.headers, media_type=sent.media_type)

    return Router(path="/", route_handlers=[index, file, file_head], opt={SKIP_COMPRESSION: True})

"""Settings from the FORUM_* environment, read once into a frozen dataclass.

Nothing connects at import time: `Settings.from_env()` only reads variables.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SQLITE_FILE = "forum.db"
# Where the secret key lives when FORUM_SECRET_KEY is unset: made once, then reused, so
# browser sessions survive restarts and every worker process signs with the same key.
SECRET_KEY_FILE = "forum-secret.key"


def _secret_key() -> str:
    from_env = os.environ.get("FORUM_SECRET_KEY")
    if from_env:
        return from_env
    path = Path.cwd() / SECRET_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from exc
    if not value >= 0:  # also refuses nan
        raise SystemExit(f"{name} must be 0 or more, got {raw!r}")
    return value


def _list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip().rstrip("/") for part in raw.split(",") if part.strip()]


# Where the folders that live beside the code are: in the repository, `migrations/` and
# `static/` sit at the top level, next to the `forum` package; a wheel (`pip install .`)
# ships copies inside the package as `forum/_migrations` and `forum/_static` (setup.py).
# A checkout wins when there is one, so an editable install keeps using the files under
# version control; an installed wheel uses its own copies.
PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent

# The top-level folders of the repository that a wheel carries inside the package.
BUNDLED = {"migrations": "_migrations", "static": "_static"}


def resource_dir(name: str) -> Path:
    """The folder `name` ("migrations" or "static"): the checkout's, else the installed copy.

    A checkout is recognised by its pyproject.toml, so that an unrelated top-level
    `migrations` or `static` folder in site-packages is never taken for ours.
    """
    in_checkout = CHECKOUT / name
    if (CHECKOUT / "pyproject.toml").is_file() and in_checkout.is_dir():
        return in_checkout
    return PACKAGE / BUNDLED[name]


@dataclass(frozen=True)
class Settings:
    database_url: str = f"sqlite+aiosqlite:///{Path.cwd() / DEFAULT_SQLITE_FILE}"
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    allowed_origins: list[str] = field(
        default_factory=lambda: ["http://localhost:8000", "http://127.0.0.1:8000"]
    )
    # Sessions and tokens last two weeks: workshops run for days, and people on slow
    # links should not be asked to sign in again mid-session.
    token_ttl_seconds: int = 14 * 24 * 3600
    cookie_secure: bool = False
    # Login (OWASP: throttle, never lock): an account's first failures are answered at
    # once; each further attempt waits twice as long as the one before (1 s, 2 s, 4 s...)
    # up to login_max_delay_seconds. Failures are forgotten after a quiet window.
    login_max_failures: int = 5
    login_window_seconds: int = 15 * 60
    login_first_delay_seconds: int = 1
    login_max_delay_seconds: int = 5 * 60
    # Failures from one address (an IPv6 /64) per window: far above the per-account number,
    # since a whole workshop room may sign in from one venue address.
    login_address_max_failures: int = 200
    # argon2 computations at once per process (each takes a core and 64 MiB), and sign-ins
    # or registrations waiting for a turn; beyond those, 429. 0: half the CPUs, at least 1.
    password_hashes_at_once: int = 0
    password_hash_queue: int = 32
    # HTTP requests per minute (a guard, not a quota): per account for signed-in people, and
    # per address for anonymous traffic and sign-in, higher since a whole room may share
    # a venue address.
    rate_limit_per_minute: int = 1200
    rate_limit_address_per_minute: int = 3000
    # Posts and table messages over the websocket per 10 seconds: per connection, and per
    # user over all of their connections (in every process, through the store).
    ws_send_per_10s: int = 20
    ws_send_per_user_per_10s: int = 40
    # Subscribes per 10 seconds on one connection: each reads the database. A client
    # resubscribing everything after a reconnect stays far below (a socket holds at most
    # 200 topics, a page a handful).
    ws_subscribe_per_10s: int = 200
    flag_hide_threshold: int = 3
    # How long a process serves a token's viewer without reading it again, at most
    # (forum.spaces.viewer_cache: every account change forgets it at once); 0 turns it off.
    viewer_cache_seconds: float = 5.0
    ws_compression: bool = False
    # The web client: the checkout's static/, else the copy inside an installed wheel.
    static_dir: str = str(resource_dir("static"))
    log_level: str = "INFO"
    auto_migrate: bool = True
    # Mail (docs/email.md): off unless smtp_url is set (smtp://user:pass@host:port, or
    # smtps:// for TLS from the first byte). public_url is where links in mails point.
    smtp_url: str | None = None
    mail_from: str = "forum@localhost"
    public_url: str = "http://localhost:8000"
    # Mentions and replies wait this long; one the user read on the site meanwhile is not mailed.
    mail_delay_seconds: int = 300
    mail_max_attempts: int = 6
    mail_poll_seconds: int = 5
    # Whether this process runs the sender (queueing happens in every process regardless).
    mail_worker: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        defaults = cls()
        secret = _secret_key()
        return cls(
            database_url=os.environ.get("FORUM_DATABASE_URL") or defaults.database_url,
            redis_url=os.environ.get("FORUM_REDIS_URL") or None,
            secret_key=secret,
            allowed_origins=_list("FORUM_ALLOWED_ORIGINS", defaults.allowed_origins),
            token_ttl_seconds=_int("FORUM_TOKEN_TTL_SECONDS", defaults.token_ttl_seconds),
            cookie_secure=os.environ.get("FORUM_COOKIE_SECURE", "").lower() in {"1", "true", "yes"},
            login_max_failures=_int("FORUM_LOGIN_MAX_FAILURES", defaults.login_max_failures),
            login_window_seconds=_int("FORUM_LOGIN_WINDOW_SECONDS", defaults.login_window_seconds),
            login_first_delay_seconds=_int(
                "FORUM_LOGIN_FIRST_DELAY_SECONDS", defaults.login_first_delay_seconds
            ),
            login_max_delay_seconds=_int("FORUM_LOGIN_MAX_DELAY_SECONDS", defaults.login_max_delay_seconds),
            login_address_max_failures=_int(
                "FORUM_LOGIN_ADDRESS_MAX_FAILURES", defaults.login_address_max_failures
            ),
            password_hashes_at_once=_int("FORUM_PASSWORD_HASHES_AT_ONCE", defaults.password_hashes_at_once),
            password_hash_queue=_int("FORUM_PASSWORD_HASH_QUEUE", defaults.password_hash_queue),
            rate_limit_per_minute=_int("FORUM_RATE_LIMIT_PER_MINUTE", defaults.rate_limit_per_minute),
            rate_limit_address_per_minute=_int(
                "FORUM_RATE_LIMIT_ADDRESS_PER_MINUTE", defaults.rate_limit_address_per_minute
            ),
            ws_send_per_10s=_int("FORUM_WS_SEND_PER_10S", defaults.ws_send_per_10s),
            ws_send_per_user_per_10s=_int(
                "FORUM_WS_SEND_PER_USER_PER_10S", defaults.ws_send_per_user_per_10s
            ),
            ws_subscribe_per_10s=_int("FORUM_WS_SUBSCRIBE_PER_10S", defaults.ws_subscribe_per_10s),
            ws_compression=os.environ.get("FORUM_WS_COMPRESSION", "").lower() in {"1", "true", "yes"},
            flag_hide_threshold=_int("FORUM_FLAG_HIDE_THRESHOLD", defaults.flag_hide_threshold),
            viewer_cache_seconds=_float("FORUM_VIEWER_CACHE_SECONDS", defaults.viewer_cache_seconds),
            static_dir=os.environ.get("FORUM_STATIC_DIR") or defaults.static_dir,
            log_level=os.environ.get("FORUM_LOG_LEVEL") or defaults.log_level,
            auto_migrate=os.environ.get("FORUM_AUTO_MIGRATE", "1").lower() not in {"0", "false", "no"},
            smtp_url=os.environ.get("FORUM_SMTP_URL") or None,
            mail_from=os.environ.get("FORUM_MAIL_FROM") or defaults.mail_from,
            public_url=(os.environ.get("FORUM_PUBLIC_URL") or defaults.public_url).rstrip("/"),
            mail_delay_seconds=_int("FORUM_MAIL_DELAY_SECONDS", defaults.mail_delay_seconds),
            mail_max_attempts=_int("FORUM_MAIL_MAX_ATTEMPTS", defaults.mail_max_attempts),
            mail_poll_seconds=_int("FORUM_MAIL_POLL_SECONDS", defaults.mail_poll_seconds),
            mail_worker=os.environ.get("FORUM_MAIL_WORKER", "1").lower() not in {"0", "false", "no"},
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

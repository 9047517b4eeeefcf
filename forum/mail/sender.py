"""Sending one message by SMTP (aiosmtplib), and telling a temporary failure from a final one.

`FORUM_SMTP_URL` is `smtp://[user:password@]host[:port]` (STARTTLS when the server offers
it) or `smtps://...` (TLS from the first byte, port 465 by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib


@dataclass(frozen=True)
class SmtpTarget:
    hostname: str
    port: int
    use_tls: bool
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise SystemExit(f"FORUM_SMTP_URL must be smtp://host[:port] or smtps://host[:port], got {url!r}")
    tls = parts.scheme == "smtps"
    return SmtpTarget(
        hostname=parts.hostname,
        port=parts.port or (465 if tls else 25),
        use_tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SendFailed(Exception):
    """Sending failed; `temporary` says whether a later attempt may succeed."""

    def __init__(self, reason: str, *, temporary: bool):
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


def _classify(exc: Exception) -> SendFailed:
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        first = exc.recipients[0]
        return SendFailed(f"{first.code} {first.message}", temporary=400 <= first.code < 500)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return SendFailed(f"{exc.code} {exc.message}", temporary=400 <= exc.code < 500)
    # Connection refused, timeouts, a server gone mid-talk: try again later.
    return SendFailed(f"{type(exc).__name__}: {exc}", temporary=True)


# A server that stops answering gives up the attempt after this long (retried later).
SMTP_TIMEOUT_SECONDS = 30.0


async def send(target: SmtpTarget, message: EmailMessage) -> None:
    try:
        await aiosmtplib.send(
            message,
            hostname=target.hostname,
            port=target.port,
            username=target.username,
            password=target.password,
            use_tls=target.use_tls,
            timeout=SMTP_TIMEOUT_SECONDS,
        )
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        raise _classify(exc) from exc

"""Signed unsubscribe tokens: `{user id}.{signature}`, an HMAC-SHA256 of the user id under
the app's secret key, so a link in a mail unsubscribes its recipient and nobody else,
without signing in (RFC 8058). A token never expires: an old mail's link still works."""

from __future__ import annotations

import base64
import hashlib
import hmac

PURPOSE = b"forum.mail.unsubscribe:"


def _signature(secret_key: str, user_id: int) -> str:
    mac = hmac.new(secret_key.encode(), PURPOSE + str(user_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def sign(secret_key: str, user_id: int) -> str:
    return f"{user_id}.{_signature(secret_key, user_id)}"


def verify(secret_key: str, token: str) -> int | None:
    """The user id a token was signed for, or None for anything forged or malformed."""
    user_part, _, signature = token.partition(".")
    if not user_part.isascii() or not user_part.isdigit() or len(user_part) > 18:
        return None
    user_id = int(user_part)
    if not hmac.compare_digest(signature.encode(), _signature(secret_key, user_id).encode()):
        return None
    return user_id

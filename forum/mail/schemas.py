"""The mail settings' shapes over HTTP (strict: an unknown field or value is a 4xx naming it)."""

from __future__ import annotations

from typing import Literal

import msgspec

Language = Literal["ar", "zh", "en", "fr", "ru", "es"]
Digest = Literal["off", "daily", "weekly"]


class MailPreferencesIn(msgspec.Struct, forbid_unknown_fields=True):
    """Any of the settings; those left out keep their value."""

    language: Language | msgspec.UnsetType = msgspec.UNSET
    immediate: bool | msgspec.UnsetType = msgspec.UNSET
    digest: Digest | msgspec.UnsetType = msgspec.UNSET


class MailPreferencesOut(msgspec.Struct):
    # The language of mails (one of the six UN languages).
    language: Language
    # Mail at once for mentions and replies not read on the site within the delay.
    immediate: bool
    digest: Digest
    # False when the server has no FORUM_SMTP_URL: settings are kept, nothing is sent.
    mail_enabled: bool

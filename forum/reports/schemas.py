"""Request and response shapes of the report API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from forum.lib.raw_input import NOT_BLANK, Id

# A workshop report runs to a few dozen paragraphs; the bound keeps one request's work finite.
MAX_REPORT_CHARS = 200_000
MAX_PRESENTATIONS = 100
# Venue, opener, chair: one line each ('Belém, Brazil'; 'the Vice-Chair of the SBSTA, ...').
SETTING_CHARS = 300

Language = Literal["en", "fr", "es", "ar", "ru", "zh"]


class ReportIn(msgspec.Struct, forbid_unknown_fields=True):
    """Build (or build again) the draft from the record; the settings are kept for next time.

    Left out, `introduction`, `presentation_thread_ids` and chapter II's settings (`held_from`,
    `held_to`, `venue`, `opener`, `chair`) keep the values of the last build; an empty string
    clears a text and `clear_dates: true` the dates. The dates go together: `held_from` sent
    without `held_to` is a one-day workshop."""

    language: Language = "en"
    introduction: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None
    held_from: date | None = None
    held_to: date | None = None
    clear_dates: bool = False
    venue: Annotated[str, msgspec.Meta(max_length=SETTING_CHARS)] | None = None
    opener: Annotated[str, msgspec.Meta(max_length=SETTING_CHARS)] | None = None
    chair: Annotated[str, msgspec.Meta(max_length=SETTING_CHARS)] | None = None
    presentation_thread_ids: Annotated[list[Id], msgspec.Meta(max_length=MAX_PRESENTATIONS)] | None = None


class ReportEditIn(msgspec.Struct, forbid_unknown_fields=True):
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_REPORT_CHARS, pattern=NOT_BLANK)]


class ReportOut(msgspec.Struct):
    id: int
    space_id: int
    language: str
    introduction: str
    presentation_thread_ids: list[int]
    held_from: date | None
    held_to: date | None
    venue: str
    opener: str
    chair: str
    body: str
    revision: int
    published_thread_id: int | None
    updated_at: datetime


class ReportRevisionOut(msgspec.Struct):
    number: int
    body: str
    editor_id: int
    source: str
    created_at: datetime


class PublishOut(msgspec.Struct):
    thread_id: int

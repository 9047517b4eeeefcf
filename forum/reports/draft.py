"""The draft's Markdown, written from a Record in the structure of the secretariat's
workshop reports (pure): a title, chapters I-VI, the figures, paragraphs numbered through
the whole document ('12. ...'), and footnotes ('[^3]') linking the threads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from babel.dates import format_date

from forum.feedback.models import QuestionKind
from forum.reports.record import Record
from forum.reports.strings import STRINGS, chapter


@dataclass(frozen=True)
class Settings:
    """Chapter II's facts as the secretariat entered them (empty: read from the record)."""

    held_from: date | None = None
    held_to: date | None = None
    venue: str = ""
    opener: str = ""
    chair: str = ""


# English as the UN writes it (day month year), not CLDR's American default.
_DATE_LOCALE = {"en": "en_GB"}


def held_dates(language: str, first: date, last: date | None = None) -> str:
    """'11 November 2025', '11 novembre 2025', '2025年11月11日': CLDR's long date in the
    report's language; two days joined by a dash ('至' in Chinese). Babel's intervals
    abbreviate the month in some languages, which UN reports never do."""
    locale = _DATE_LOCALE.get(language, language)
    one = format_date(first, "long", locale=locale)
    if last is None or last == first:
        return one
    two = format_date(last, "long", locale=locale)
    return f"{one}至{two}" if language == "zh" else f"{one} – {two}"


def proceedings(s: dict[str, str], language: str, record: Record, settings: Settings) -> str | None:
    """The first paragraph of chapter II: when (and where) the workshop was held, who opened
    it and who chaired it; None when neither the settings nor the record say when."""
    first = settings.held_from or (record.held_on.date() if record.held_on is not None else None)
    if first is None:
        return None
    when = held_dates(language, first, settings.held_to if settings.held_from else None)
    venue = settings.venue.strip()
    sentences = [s["held_in"].format(date=when, venue=venue) if venue else s["held"].format(date=when)]
    opener = settings.opener.strip() or (record.opener or "")
    if opener:
        sentences.append(s["opened_by"].format(opener=opener))
    if settings.chair.strip():
        sentences.append(s["chaired_by"].format(chair=settings.chair.strip()))
    return s["sentence_gap"].join(sentences)


def thread_link(thread_id: int) -> str:
    return f"/#/thread/{thread_id}"


def _capital(phrase: str) -> str:
    """A phrase opening a sentence: 'The representative of Japan' (a no-op in Arabic and Chinese)."""
    return phrase[:1].upper() + phrase[1:]


def _one_line(text: str) -> str:
    """A post or harvest as one paragraph of the report: its lines joined."""
    return " ".join(text.split())


@dataclass
class _Writer:
    lines: list[str] = field(default_factory=list)
    paragraph: int = 0
    notes: list[str] = field(default_factory=list)

    def heading(self, level: int, text: str) -> None:
        self.lines.append(f"{'#' * level} {text}")

    def para(self, text: str, note: str | None = None) -> None:
        self.paragraph += 1
        mark = ""
        if note is not None:
            self.notes.append(note)
            mark = f"[^{len(self.notes)}]"
        self.lines.append(f"{self.paragraph}. {text}{mark}")

    def sub(self, index: int, text: str) -> None:
        """A subparagraph of the last numbered one, lettered as the UN writes them: '(a) ...'."""
        self.lines.append(f"({chr(ord('a') + index % 26)}) {text}")

    def text(self) -> str:
        body = "\n\n".join(self.lines)
        if self.notes:
            body += "\n\n" + "\n".join(f"[^{i}]: {n}" for i, n in enumerate(self.notes, 1))
        return body + "\n"


def write_draft(record: Record, language: str, introduction: str, settings: Settings | None = None) -> str:
    s = STRINGS[language]
    w = _Writer()
    w.heading(1, s["title"].format(space=record.space_title))
    w.lines.append(s["subtitle"])

    w.heading(2, chapter(language, 1))
    parts = [_one_line(p) for p in introduction.split("\n\n") if p.strip()]
    for p in parts:
        w.para(p)
    if not parts:
        w.para(s["none"])

    w.heading(2, chapter(language, 2))
    held = proceedings(s, language, record, settings or Settings())
    if held is not None:
        w.para(held)
    if record.segments:
        names = {
            "presentations": s["seg_presentations"],
            "cafe": s["seg_cafe"],
            "roundtable": s["seg_roundtable"],
        }
        w.para(s["segments"].format(segments=s["list_sep"].join(names[k] for k in record.segments)))
    if held is None and not record.segments:
        w.para(s["none"])

    w.heading(2, chapter(language, 3))
    for p in record.presentations:
        who = _capital(p.presenter)
        w.para(
            s["presented"].format(who=who, title=p.title, summary=_one_line(p.body)),
            note=s["thread_note"].format(link=thread_link(p.thread_id)),
        )
    if not record.presentations:
        w.para(s["none"])

    w.heading(2, chapter(language, 4))
    for t in record.tables:
        harvest = _one_line(t.harvest) if t.harvest else s["no_harvest"]
        w.para(s["table"].format(n=t.position, topic=t.topic, host=t.host, harvest=harvest).strip())
    if not record.tables:
        w.para(s["none"])

    w.heading(2, chapter(language, 5))
    for item in record.interventions:
        who = _capital(item.attributed_as)
        w.para(
            s["said"].format(who=who, summary=_one_line(item.summary))
            if item.summary
            else s["spoke"].format(who=who)
        )
    if not record.interventions:
        w.para(s["none"])

    w.heading(2, chapter(language, 6))
    wrote = False
    for poll, results in record.polls:
        for q, r in zip(poll.questions, results.questions, strict=True):
            if r.answered == 0:
                continue
            wrote = True
            if q["kind"] == QuestionKind.rating.value:
                w.para(s["question_rating"].format(prompt=q["prompt"], n=r.answered, mean=r.mean))
            elif q["kind"] == QuestionKind.single_choice.value:
                counts = s["list_sep"].join(f"{c} ({n})" for c, n in zip(q["choices"], r.counts, strict=True))
                w.para(s["question_choice"].format(prompt=q["prompt"], counts=counts))
            else:
                w.para(s["question_text"].format(prompt=q["prompt"]))
                for i, t in enumerate(r.texts):
                    w.sub(i, _one_line(t.text))
    if not wrote:
        w.para(s["none"])

    f = record.figures
    w.heading(2, s["figures"])
    w.para(
        s["participants"].format(
            parties=f.parties,
            party_people=f.party_people,
            lcipp=f.lcipp,
            orgs=f.organisations,
            observers=f.observers,
        )
    )
    w.para(s["counts"].format(posts=f.posts, tables=f.tables, rounds=f.rounds, interventions=f.interventions))
    return w.text()

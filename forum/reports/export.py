"""The report as a Word document (python-docx), from its Markdown (pure).

Headings stay headings (`#` the title, `##` chapters, `###` sections); numbered paragraphs
keep their number as text, as the secretariat's documents write them, so the Word file
numbers exactly as the Markdown does; footnote marks (`[^3]`) become superscript numbers.
python-docx has no API for real footnotes, so the notes are a numbered "Notes" list at the
end of the document (endnotes in effect)."""

from __future__ import annotations

import io
import re

from docx import Document

from forum.reports.strings import STRINGS

_NOTE_DEF = re.compile(r"^\[\^(\d+)\]:\s*(.*)$")
_NOTE_REF = re.compile(r"\[\^(\d+)\]")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _runs(paragraph, text: str) -> None:  # type: ignore[no-untyped-def]
    """Text with its footnote marks as superscript numbers."""
    at = 0
    for m in _NOTE_REF.finditer(text):
        if m.start() > at:
            paragraph.add_run(text[at : m.start()])
        paragraph.add_run(m.group(1)).font.superscript = True
        at = m.end()
    if at < len(text):
        paragraph.add_run(text[at:])


def to_docx(markdown: str, language: str) -> bytes:
    doc = Document()
    notes: list[tuple[str, str]] = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = block.splitlines()
        if all(_NOTE_DEF.match(line) for line in lines):
            notes.extend(m.groups() for line in lines if (m := _NOTE_DEF.match(line)))
            continue
        text = " ".join(line.strip() for line in lines)
        heading = _HEADING.match(text)
        if heading:
            level = len(heading.group(1))
            doc.add_heading(heading.group(2), level=0 if level == 1 else min(level - 1, 9))
        else:
            _runs(doc.add_paragraph(), text)
    if notes:
        doc.add_heading(STRINGS.get(language, STRINGS["en"])["notes"], level=1)
        for number, text in notes:
            p = doc.add_paragraph()
            p.add_run(number).font.superscript = True
            p.add_run(f" {text}")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()

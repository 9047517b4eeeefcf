"""Snippets: a short window of a hit's own text around what the query found, every character
escaped, the found words wrapped in <mark> (the only markup a snippet holds)."""

from __future__ import annotations

import html

from forum.search.query import Query
from forum.search.terms import pieces

# About this many characters of text around the first match.
WINDOW = 220
BEFORE = 60


def _spans(text: str, query: Query) -> list[tuple[int, int]]:
    """Where the query's words are in the original text, as (start, end) offsets."""
    found: list[tuple[int, int]] = []
    for piece in pieces(text):
        for start, end in query.matches(piece):
            if piece.end - piece.start == len(piece.folded) and piece.cjk:
                # A CJK run maps one to one: mark just the characters found.
                found.append((piece.start + start, piece.start + end))
            else:
                found.append((piece.start, piece.end))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, query: Query) -> str:
    """HTML: the window of `text` around its first match, escaped, matches in <mark>."""
    spans = _spans(text, query)
    first = spans[0][0] if spans else 0
    start = max(0, first - BEFORE)
    if start > 0:
        # Begin at a word's start where one is near.
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + WINDOW)
    if end < len(text):
        space = text.rfind(" ", max(first, start), end)
        end = space if space > first else end
    out = ["…" if start > 0 else ""]
    position = start
    for span_start, span_end in spans:
        if span_end <= start or span_start >= end:
            continue
        span_start, span_end = max(span_start, start), min(span_end, end)
        out.append(html.escape(text[position:span_start]))
        out.append(f"<mark>{html.escape(text[span_start:span_end])}</mark>")
        position = span_end
    out.append(html.escape(text[position:end]))
    out.append("…" if end < len(text) else "")
    return " ".join("".join(out).split())

"""A search query, read once and written out for FTS5 (SQLite) and tsquery (PostgreSQL).

`q` holds words and "quoted phrases"; every unit must match (AND). A word matches any of its
stems (English, Spanish and French for Latin script, Russian for Cyrillic) or itself; the
last word, when the query does not end in a space, also matches as a prefix. A phrase
matches its words side by side, stemmed in one language or written as given. A run of
Chinese or Japanese characters is a phrase of its bigrams; a single character, a prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from forum.search.terms import LATIN_LANGUAGES, Piece, fold, pieces, quote, stem, stem_of

MAX_QUERY_CHARS = 200
# More units than this and the query says nothing more (and costs a great deal).
MAX_UNITS = 12
_PHRASE = re.compile(r'"([^"]*)"?')


def _languages(word: str) -> tuple[str, ...]:
    if word.isdigit():
        return ()
    if any(0x0400 <= ord(c) <= 0x04FF for c in word):
        return ("russian",)
    if any("a" <= c <= "z" for c in word):
        return LATIN_LANGUAGES
    return ()


@dataclass(frozen=True)
class Unit:
    """One thing that must match: a word (`pieces` of one) or a phrase (several)."""

    pieces: tuple[Piece, ...]
    phrase: bool = False
    prefix: bool = False

    def variants(self) -> list[list[str]]:
        """The term sequences (stems, or words) any one of which matches this unit."""
        words = [gram for piece in self.pieces for gram in piece.grams()]
        found = [words]
        languages = {lang for piece in self.pieces if not piece.cjk for lang in _languages(piece.folded)}
        for language in sorted(languages):
            stems = []
            for piece in self.pieces:
                if piece.cjk:
                    stems.extend(piece.grams())
                elif language in _languages(piece.folded):
                    stems.append(stem(piece.folded, language))
                else:
                    stems.append(stem_of(piece.folded, "english"))
            if stems not in found:
                found.append(stems)
        return found


@dataclass
class Query:
    units: list[Unit] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.units)

    # -- SQLite FTS5 -----------------------------------------------------------------------
    def fts5(self) -> str:
        """The MATCH expression on the `stems` and `words` columns."""
        return " AND ".join(_fts5_unit(unit) for unit in self.units)

    # -- PostgreSQL ------------------------------------------------------------------------
    def tsquery(self) -> str:
        """The tsquery, in its literal syntax (cast with ::tsquery, not parsed by to_tsquery)."""
        return " & ".join(_ts_unit(unit) for unit in self.units)

    # -- snippets --------------------------------------------------------------------------
    def matches(self, piece: Piece) -> list[tuple[int, int]]:
        """The spans of a document piece (offsets into the folded text) that this query found."""
        if piece.cjk:
            spans = []
            for wanted in self._wanted.cjk:
                start = piece.folded.find(wanted)
                while start >= 0:
                    spans.append((start, start + len(wanted)))
                    start = piece.folded.find(wanted, start + 1)
            return spans
        return [(0, len(piece.folded))] if self._wanted.word(piece.folded) else []

    @cached_property
    def _wanted(self) -> _Wanted:
        wanted = _Wanted()
        for unit in self.units:
            for piece in unit.pieces:
                if piece.cjk:
                    wanted.cjk.append(piece.folded)
                    continue
                (wanted.prefixes if unit.prefix else wanted.exact).add(piece.folded)
                for lang in _languages(piece.folded):
                    wanted.stems.add((lang, stem(piece.folded, lang)))
        return wanted


@dataclass
class _Wanted:
    """What a query looks for, ready to mark the words of a text (each word judged once)."""

    cjk: list[str] = field(default_factory=list)
    exact: set[str] = field(default_factory=set)
    prefixes: set[str] = field(default_factory=set)
    stems: set[tuple[str, str]] = field(default_factory=set)
    seen: dict[str, bool] = field(default_factory=dict)

    def word(self, word: str) -> bool:
        found = self.seen.get(word)
        if found is None:
            found = (
                word in self.exact
                or any(word.startswith(p) for p in self.prefixes)
                or any((lang, stem(word, lang)) in self.stems for lang in _languages(word))
            )
            self.seen[word] = found
        return found


def _fts5_phrase(terms: list[str]) -> str:
    return '"' + " ".join(terms) + '"'


def _fts5_unit(unit: Unit) -> str:
    variants = unit.variants()
    words, stems = variants[0], variants[1:]
    options = [f"words : {_fts5_phrase(words)}{' *' if unit.prefix else ''}"]
    options += [f"stems : {_fts5_phrase(terms)}" for terms in stems]
    return "(" + " OR ".join(options) + ")"


def _ts_phrase(terms: list[str], prefix: bool = False) -> str:
    written = [quote(term) for term in terms]
    if prefix:
        written[-1] += ":*"
    return "(" + " <-> ".join(written) + ")"


def _ts_unit(unit: Unit) -> str:
    variants = unit.variants()
    options = [_ts_phrase(variants[0], unit.prefix)] + [_ts_phrase(terms) for terms in variants[1:]]
    return "(" + " | ".join(options) + ")"


def parse(text: str) -> Query:
    """The units of a query as typed: phrases in double quotes, the rest words."""
    units: list[Unit] = []
    position = 0
    for match in _PHRASE.finditer(text):
        units.extend(_words(text[position : match.start()], last=False))
        inner = tuple(pieces(match.group(1)))
        if inner:
            units.append(Unit(inner, phrase=len(inner) > 1 or inner[0].cjk))
        position = match.end()
    units.extend(_words(text[position:], last=not text.endswith((" ", '"'))))
    return Query(units[:MAX_UNITS])


def _words(text: str, *, last: bool) -> list[Unit]:
    found = list(pieces(text))
    units = []
    for i, piece in enumerate(found):
        is_last = last and i == len(found) - 1
        if piece.cjk:
            # A lone character can only be a prefix of the bigrams that start with it.
            units.append(Unit((piece,), phrase=len(piece.folded) > 1, prefix=len(piece.folded) == 1))
        else:
            units.append(Unit((piece,), prefix=is_last and len(piece.folded) >= 2))
    return units


__all__ = ["MAX_QUERY_CHARS", "Query", "Unit", "fold", "parse"]

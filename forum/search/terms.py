"""Text into index terms, one rule for documents and queries, on SQLite and PostgreSQL alike.

A word is folded (NFKC, casefold, combining marks dropped: accents, Arabic harakat, the
tatweel; alef variants to ا, ى to ي, ة to ه) and then stemmed: Cyrillic with the Russian
stemmer, Latin script with the English, Spanish or French one (for a document, the language
its function words suggest; a query tries all three, see `forum.search.query`). Chinese and
Japanese runs, written without spaces, become overlapping character bigrams (a run of one
character stays a unigram), so that a two-character query finds the word inside a longer run.

Every position of a document has two terms: the stem (column `stems`) and the folded word
(column `words`, which prefix matching and exact phrases read). A CJK bigram is both.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

# Characters that join a word: letters, digits and the combining marks written on them
# (Python's \w leaves marks out, which would cut a word at every Arabic haraka), the
# tatweel and the zero-width (non-)joiners.
_MARKS = "".join(
    re.escape(chr(c))
    for c in range(0x300, 0x10000)
    if unicodedata.category(chr(c)).startswith("M") and not 0xD800 <= c < 0xE000
)
WORD = re.compile(rf"(?:[^\W_]|[{_MARKS}\u0640\u200c\u200d])+")
_ALNUM = re.compile(r"[^\W_]+")

# Longest word indexed: beyond this it is noise (a pasted hash, a URL without breaks).
MAX_WORD_CHARS = 64
# PostgreSQL keeps positions up to 16383; a longer text's tail shares the last one.
MAX_POSITION = 16383

_ARABIC = str.maketrans({"\u0671": "\u0627", "\u0649": "\u064a", "\u0629": "\u0647", "\u0640": None})
_LATIN_STOPWORDS = {
    language: frozenset(words.split(" "))
    for language, words in (
        ("english", "the and of to in is for that with on are this be by from it as we our"),
        ("spanish", "el la de que y los las en del por para con una es se su al lo como"),
        ("french", "le la les de des et est que une pour dans du en sur au aux ce qui pas"),
    )
}
LATIN_LANGUAGES = tuple(_LATIN_STOPWORDS)
_STEMMERS = {name: snowballstemmer.stemmer(name) for name in (*LATIN_LANGUAGES, "russian")}


# Hiragana and katakana, CJK ideographs (extension A, the unified block, compatibility
# ideographs, extensions B to G), katakana phonetic extensions: scripts written without spaces.
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u31f0-\u31ff\U00020000-\U0003134f"
_CJK_RUN = re.compile(f"([{_CJK_CHARS}]+)")


def _is_cjk(char: str) -> bool:
    return _CJK_RUN.match(char) is not None


def _is_cyrillic(char: str) -> bool:
    return 0x0400 <= ord(char) <= 0x04FF


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """One word as the index compares it: same letters whatever the case, accents, harakat,
    compatibility forms or Arabic letter variants it was written with."""
    text = unicodedata.normalize("NFKC", word).casefold()
    kept = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.category(char).startswith("M"):
            # й keeps its breve: it is a letter of its own in Russian, not и with an accent.
            if char == "\u0306" and kept and kept[-1] == "и":
                kept[-1] = "й"
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_ARABIC).replace("ё", "е")


@lru_cache(maxsize=65536)
def stem(word: str, language: str) -> str:
    """The stem of a folded word in a language (`russian` for Cyrillic words)."""
    return _STEMMERS[language].stemWord(word) or word


# Each function word, with the languages it is one of.
_STOPWORD_LANGUAGES: dict[str, tuple[str, ...]] = {}
for _language, _words in _LATIN_STOPWORDS.items():
    for _word in _words:
        _STOPWORD_LANGUAGES[_word] = (*_STOPWORD_LANGUAGES.get(_word, ()), _language)


def latin_language(text: str) -> str:
    """English, Spanish or French, by the function words of the text (English if none)."""
    counts = dict.fromkeys(LATIN_LANGUAGES, 0)
    for word in WORD.findall(text[:4000]):
        for language in _STOPWORD_LANGUAGES.get(word.lower(), ()):
            counts[language] += 1
    best = max(counts.values())
    return next(language for language in LATIN_LANGUAGES if counts[language] == best)


@dataclass(frozen=True)
class Piece:
    """One unit of a text: a folded word, or a CJK run split into grams, with where it
    starts and ends in the original text."""

    start: int
    end: int
    folded: str
    cjk: bool

    def grams(self) -> list[str]:
        return _grams(self.folded) if self.cjk else [self.folded]


def _grams(run: str) -> list[str]:
    """A CJK run's overlapping bigrams (one character alone stays a unigram)."""
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


# Words longer than this are split anew each time rather than remembered: a CJK text
# written without spaces is one word as long as its paragraph.
_REMEMBERED_WORD_CHARS = 32


def _runs(word: str) -> tuple[tuple[str, bool], ...]:
    """A word as written, folded, in runs each marked CJK or not."""
    if len(word) <= _REMEMBERED_WORD_CHARS:
        return _remembered_runs(word)
    return _split_runs(word)


def _split_runs(word: str) -> tuple[tuple[str, bool], ...]:
    runs = []
    # Folding can turn one token into several (NFKC of ½ holds a fraction slash).
    for part in _ALNUM.findall(fold(word)):
        if len(part) > MAX_WORD_CHARS:
            continue
        # Split at the edges of CJK runs: the odd pieces are CJK, the even ones not.
        for i, run in enumerate(_CJK_RUN.split(part)):
            if run:
                runs.append((run, i % 2 == 1))
    return tuple(runs)


_remembered_runs = lru_cache(maxsize=65536)(_split_runs)


def pieces(text: str) -> Iterator[Piece]:
    """The words and CJK runs of a text, folded, in order."""
    for match in WORD.finditer(text):
        for run, cjk in _runs(match.group()):
            yield Piece(match.start(), match.end(), run, cjk)


@lru_cache(maxsize=65536)
def stem_of(word: str, language: str) -> str:
    """The stem the index keeps for a folded non-CJK word of a text in `language`."""
    if word.isdigit():
        return word
    if any(_is_cyrillic(c) for c in word):
        return stem(word, "russian")
    if word.isascii() or any("a" <= c <= "z" for c in word):
        return stem(word, language)
    return word  # Arabic and other scripts: the folded word itself


@dataclass(frozen=True)
class Document:
    """A text's terms: `stems` and `words` hold one term per position, in order."""

    stems: list[str]
    words: list[str]

    def fts_columns(self) -> tuple[str, str]:
        """The two columns of SQLite's FTS5 table, terms separated by spaces."""
        return " ".join(self.stems), " ".join(self.words)

    def fts_text(self) -> str:
        """What SQLite keeps in `search_entries.document`: the two columns, a tab between them
        (terms hold no tab); the table's triggers copy them into the FTS5 table."""
        return "\t".join(self.fts_columns())

    def stored(self, postgresql: bool) -> str:
        """The `document` column's value on this database."""
        return self.tsvector() if postgresql else self.fts_text()

    def tsvector(self) -> str:
        """PostgreSQL's tsvector in its literal syntax: the stem and the word share a position.

        Written out here, not by to_tsvector(), so that PostgreSQL's own parser and locale
        never split or change a term the SQLite index keeps whole."""
        positions: dict[str, list[int]] = {}
        for index, (stem_term, word) in enumerate(zip(self.stems, self.words, strict=True)):
            position = min(index + 1, MAX_POSITION)
            for term in {stem_term, word}:
                where = positions.setdefault(term, [])
                if not where or where[-1] != position:
                    where.append(position)
        # PostgreSQL keeps at most 256 positions of one lexeme; more say nothing to the rank.
        return " ".join(
            f"{quote(term)}:{','.join(map(str, where[:256]))}" for term, where in positions.items()
        )


@lru_cache(maxsize=65536)
def quote(term: str) -> str:
    """A term in tsvector/tsquery literal syntax."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def document(text: str) -> Document:
    """The terms the index keeps for a text."""
    language = latin_language(text)
    stems: list[str] = []
    words: list[str] = []
    # `pieces` without their places in the text, which a document does not keep.
    for word in WORD.findall(text):
        for run, cjk in _runs(word):
            if cjk:
                grams = _grams(run)
                stems.extend(grams)
                words.extend(grams)
            else:
                stems.append(stem_of(run, language))
                words.append(run)
    return Document(stems, words)


def stored_documents(texts: Sequence[str], postgresql: bool) -> list[str]:
    """The `document` column's values of several texts on this database: what a worker
    process of `forum search reindex` computes for its share of a batch."""
    return [document(text).stored(postgresql) for text in texts]

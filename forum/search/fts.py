"""SQLite's FTS5 table of the search index and the triggers that keep it in step.

The FTS5 table holds only the index of the terms (contentless); the terms themselves are in
`search_entries.document` as "stems<TAB>words", already folded and stemmed by
`forum.search.terms`, so unicode61 only splits them at the spaces. Triggers copy them in and
out in the statement that writes the entry; a contentless table forgets a row given the
values it indexed, which the old `document` holds. Made by migration 0007_search.
"""

from __future__ import annotations

from forum.search.models import FTS_TABLE

_STEMS = "substr({0}.document, 1, instr({0}.document, char(9)) - 1)"
_WORDS = "substr({0}.document, instr({0}.document, char(9)) + 1)"
_ADD = (
    f"INSERT INTO {FTS_TABLE} (rowid, stems, words)"
    f" VALUES (new.id, {_STEMS.format('new')}, {_WORDS.format('new')});"
)
_FORGET = (
    f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, stems, words)"
    f" VALUES ('delete', old.id, {_STEMS.format('old')}, {_WORDS.format('old')});"
)
DELETE_TRIGGER = f"CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN {_FORGET} END"
CREATE = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(stems, words, content = '',"
    " tokenize = 'unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN {_ADD} END",
    DELETE_TRIGGER,
    f"CREATE TRIGGER search_entries_au AFTER UPDATE OF document ON search_entries BEGIN {_FORGET} {_ADD} END",
)
DROP = (
    "DROP TRIGGER IF EXISTS search_entries_ai",
    "DROP TRIGGER IF EXISTS search_entries_ad",
    "DROP TRIGGER IF EXISTS search_entries_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

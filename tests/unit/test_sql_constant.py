"""`forum.lib.db.sql_constant`: a code constant written into the SQL, and nothing else."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from forum.cafes.policy import VISIBLE_MESSAGE_SQL
from forum.lib.db import sql_constant
from forum.threads.models import Post


@pytest.mark.parametrize("dialect", [postgresql.asyncpg.dialect(), sqlite.dialect()], ids=["pg", "sqlite"])
def test_the_constant_is_in_the_statement_and_nothing_is_bound(dialect) -> None:
    for condition in (Post.status == sql_constant("published"), VISIBLE_MESSAGE_SQL):
        compiled = select(Post.id).where(condition).compile(dialect=dialect)
        assert "'published'" in compiled.string
        assert not compiled.params


@pytest.mark.parametrize("value", ["x' OR '1'='1", "two words", "", "a;b", "pub'lished"])
def test_anything_but_a_plain_word_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="not a constant of the code"):
        sql_constant(value)

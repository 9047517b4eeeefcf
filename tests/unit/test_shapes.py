"""`padded_size`: the few sizes a writer's statements are built for (forum.lib.shapes)."""

from __future__ import annotations

import pytest

from forum.lib.shapes import padded, padded_size


def test_a_size_rounds_up_to_the_next_power_of_two() -> None:
    assert [padded_size(n) for n in (1, 2, 3, 4, 5, 8, 9, 200, 256, 257)] == [
        1, 2, 4, 4, 8, 8, 16, 256, 256, 512
    ]  # fmt: skip


def test_every_size_up_to_1024_takes_one_of_eleven_shapes() -> None:
    sizes = {padded_size(n) for n in range(1, 1025)}
    assert len(sizes) == 11
    assert all(padded_size(n) >= n for n in range(1, 1025))


@pytest.mark.parametrize("n", [0, -1])
def test_a_statement_for_no_rows_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match="rows"):
        padded_size(n)


def test_padded_fills_up_to_the_padded_size() -> None:
    assert padded([1, 2, 3], 0) == [1, 2, 3, 0]
    assert padded([1, 2], 0) == [1, 2]
    assert padded(list(range(5)), -1) == [0, 1, 2, 3, 4, -1, -1, -1]

"""The make-run summary's evaluation ranking: top and bottom never repeat a region."""

from __future__ import annotations

import pytest

from jianguan.orchestration.summary import top_and_bottom


def ranking(size: int) -> list[dict[str, int]]:
    return [{"rank_among_regions": rank} for rank in range(1, size + 1)]


@pytest.mark.parametrize(
    ("size", "top", "bottom"),
    [
        (0, [], []),
        (3, [1, 2, 3], []),
        (7, [1, 2, 3, 4, 5], [6, 7]),
        (10, [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]),
        (17, [1, 2, 3, 4, 5], [13, 14, 15, 16, 17]),
    ],
)
def test_top_and_bottom_split_a_ranking_without_overlap(size: int, top: list[int], bottom: list[int]) -> None:
    picked = top_and_bottom(ranking(size), 5)
    assert [r["rank_among_regions"] for r in picked["top"]] == top
    assert [r["rank_among_regions"] for r in picked["bottom"]] == bottom

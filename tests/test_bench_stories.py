"""The story benchmark's measures, on clusterings small enough to count by hand."""

from __future__ import annotations

import pytest

from bench.stories.bench import scores
from bench.stories.corpus import part_of


def test_a_perfect_clustering_scores_one() -> None:
    gold = {"a": "e1", "b": "e1", "c": "e2"}
    result = scores(gold, {"a": "s1", "b": "s1", "c": "s2"})
    assert result["b3_p"] == result["b3_r"] == result["pair_f1"] == 1.0
    assert result["mixed"] == 0


def test_merged_events_cost_precision_and_split_events_recall() -> None:
    gold = {"a": "e1", "b": "e1", "c": "e2"}
    merged = scores(gold, {"a": "s", "b": "s", "c": "s"})
    # a, b: 2/3 of their story is their event; c: 1/3. Recall stays whole.
    assert merged["b3_p"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3) / 3)
    assert merged["b3_r"] == 1.0
    assert merged["pair_p"] == pytest.approx(1 / 3) and merged["mixed"] == 1
    split = scores(gold, {"a": "s1", "b": "s2", "c": "s3"})
    assert split["b3_p"] == 1.0
    assert split["b3_r"] == pytest.approx((1 / 2 + 1 / 2 + 1) / 3)
    assert split["stories"] == 3 and split["events"] == 2


def test_the_split_is_fixed_and_roughly_half() -> None:
    groups = [f"gv:{i}" for i in range(400)]
    parts = [part_of(g) for g in groups]
    assert parts == [part_of(g) for g in groups]
    assert 150 < parts.count("dev") < 250

"""Matching pieces without models: evidence windows, verdict rules, fact groups, the index."""

from __future__ import annotations

import numpy as np

from models.labels import Relation, Verdict
from service.index import SentenceIndex
from service.matching import SentenceView, Side, connected_groups, evidence_window, verdict

TEXT = "Qaani arrived in Baghdad.\n\nHe met militia leaders.\nThe talks lasted hours."


def _side() -> Side:
    spans = [(0, 25), (27, 50), (51, 74)]
    return Side(
        key="a",
        origin="a",
        source="X",
        text=TEXT,
        sentences=[SentenceView(TEXT[s:e], s, e) for s, e in spans],
        sentence_vectors=np.zeros((3, 384), dtype=np.float32),
        claims=[],
        claim_vectors=np.zeros((0, 384), dtype=np.float32),
    )


def test_pronoun_sentence_is_read_with_the_one_before() -> None:
    text, start, end = evidence_window(_side(), 1)
    assert text == "Qaani arrived in Baghdad.\n\nHe met militia leaders."
    assert TEXT[start:end] == text
    assert evidence_window(_side(), 2) == ("The talks lasted hours.", 51, 74)
    assert evidence_window(_side(), 0) == ("Qaani arrived in Baghdad.", 0, 25)


def test_verdict_rules() -> None:
    s, c = Relation.SUPPORTS, Relation.CONTRADICTS
    assert verdict([]) == (Verdict.SINGLE_SOURCE, 0, 0)
    assert verdict([("o1", s), ("o1", s), ("o2", s)]) == (Verdict.CORROBORATED, 2, 0)
    # One contradicting origin contests the claim, however many support it.
    assert verdict([("o1", s), ("o2", s), ("o3", c)]) == (Verdict.CONTESTED, 2, 1)
    # An origin that both supports and contradicts counts as contradicting.
    assert verdict([("o1", s), ("o1", c)]) == (Verdict.CONTESTED, 0, 1)
    assert verdict([("o1", Relation.SILENT)]) == (Verdict.SINGLE_SOURCE, 0, 0)


def test_connected_groups() -> None:
    groups = connected_groups(["a", "b", "c", "d", "e"], [("a", "c"), ("c", "e"), ("x", "a")])
    assert groups == [["a", "c", "e"]]


def test_index_takes_the_best_per_article() -> None:
    rng = np.random.default_rng(0)
    blocks = []
    for n in (5, 3):
        block = rng.normal(size=(n, 384)).astype(np.float32)
        blocks.append(block / np.linalg.norm(block, axis=1, keepdims=True))
    index = SentenceIndex(blocks)
    (hits,) = index.search(blocks[1][2:3], per_article=2)
    assert len(hits) == 4 and {h.article for h in hits} == {0, 1}
    best = max(hits, key=lambda h: h.score)
    assert (best.article, best.sentence) == (1, 2) and abs(best.score - 1.0) < 1e-5
    assert SentenceIndex([]).search(blocks[0][:1], 2) == [[]]

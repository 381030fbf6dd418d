"""The story assembler and matching pieces, without models: evidence windows, verdict rules with
independence by outlet and origin, fact groups, the index."""

from __future__ import annotations

import numpy as np

from models.labels import Reason, Relation, Verdict
from service.assembly import (
    ClaimNode,
    EvidenceEdge,
    assemble,
    connected_groups,
    group_verdict,
    judge_claim,
)
from service.index import SentenceIndex
from service.matching import SentenceView, Side, evidence_window
from service.stories import outlet_keys

TEXT = "Qaani arrived in Baghdad.\n\nHe met militia leaders.\nThe talks lasted hours."


def _side() -> Side:
    spans = [(0, 25), (27, 50), (51, 74)]
    return Side(
        key="a",
        origin="a",
        source="X",
        outlet=frozenset({"x"}),
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


S, C = Relation.SUPPORTS, Relation.CONTRADICTS
VECTOR = np.ones(384, dtype=np.float32) / np.sqrt(384)


def _claim(ident: str = "c", origin: str = "o0", outlet: str = "mine") -> ClaimNode:
    return ClaimNode(ident, "a0", origin, outlet_keys(outlet, None), 0, VECTOR)


def _edge(
    origin: str,
    relation: Relation,
    reason: Reason = Reason.NLI_ENTAILMENT,
    outlet: str | None = None,
    claim: str = "c",
    article: str | None = None,
) -> EvidenceEdge:
    return EvidenceEdge(
        claim,
        article or f"art-{origin}",
        origin,
        outlet_keys(outlet or f"outlet {origin}", None),
        0,
        relation,
        reason,
        0.9,
    )


def _verdict(*edges: EvidenceEdge) -> tuple[Verdict, int, int]:
    result = judge_claim(_claim(), enumerate(edges))
    return result.verdict, result.supporting_origins, result.contradicting_origins


def test_verdict_rules() -> None:
    number = Reason.AGE_MISMATCH  # a decisive comparison
    assert _verdict() == (Verdict.SINGLE_SOURCE, 0, 0)
    assert _verdict(_edge("o1", S), _edge("o1", S), _edge("o2", S)) == (
        Verdict.CORROBORATED,
        2,
        0,
    )
    # One decisive contradiction contests the claim, however many origins support it.
    assert _verdict(_edge("o1", S), _edge("o2", S), _edge("o3", C, number)) == (
        Verdict.CONTESTED,
        2,
        1,
    )
    # An origin that both supports and contradicts counts as contradicting.
    assert _verdict(_edge("o1", S), _edge("o1", C, number)) == (Verdict.CONTESTED, 0, 1)
    assert _verdict(_edge("o1", Relation.SILENT)) == (Verdict.SINGLE_SOURCE, 0, 0)


def test_a_contradiction_no_typed_comparison_explains_decides_nothing() -> None:
    for reason in (
        Reason.NLI_CONTRADICTION,
        Reason.NEGATION,
        Reason.ACTOR_MISMATCH,
        Reason.NUMBER_MISMATCH,
        Reason.DATE_MISMATCH,
    ):
        assert _verdict(_edge("o1", C, reason)) == (Verdict.SINGLE_SOURCE, 0, 0)
        assert _verdict(_edge("o1", S), _edge("o2", C, reason)) == (Verdict.CORROBORATED, 1, 0)


def test_own_outlet_and_own_origin_never_corroborate_or_contest() -> None:
    # Another article of the claim's outlet (same name, other spelling, or its domain).
    for outlet in ("mine", "Mine", "The Mine", "mine.com"):
        assert _verdict(_edge("o1", S, outlet=outlet)) == (Verdict.SINGLE_SOURCE, 0, 0)
        assert _verdict(_edge("o1", C, Reason.AGE_MISMATCH, outlet=outlet))[0] == (
            Verdict.SINGLE_SOURCE
        )
    # A copy of the claim's own report (same origin) under another outlet's name.
    assert _verdict(_edge("o0", S, outlet="other")) == (Verdict.SINGLE_SOURCE, 0, 0)
    # The evidence is still shown, after the independent evidence, and marked as such.
    result = judge_claim(
        _claim(), enumerate([_edge("o1", S, outlet="mine"), _edge("o2", S, outlet="other")])
    )
    assert result.evidence == [1, 0] and result.independent == [True, False]


def test_evidence_order_puts_decisive_contradictions_first() -> None:
    edges = [
        _edge("o1", C, Reason.NLI_CONTRADICTION),
        _edge("o2", S),
        _edge("o3", C, Reason.TIME_MISMATCH),
    ]
    assert judge_claim(_claim(), enumerate(edges)).evidence == [2, 1, 0]


def test_a_fact_told_by_two_outlets_is_one_group_with_both_sides() -> None:
    a = ClaimNode("a", "art-a", "oa", outlet_keys("A", None), 0, VECTOR)
    b = ClaimNode("b", "art-b", "ob", outlet_keys("B", None), 3, VECTOR)
    lonely = ClaimNode("z", "art-b", "ob", outlet_keys("B", None), 5, VECTOR)
    edges = [
        EvidenceEdge("a", "art-b", "ob", b.outlet, 3, S, Reason.NLI_ENTAILMENT, 0.9),
        EvidenceEdge("b", "art-a", "oa", a.outlet, 0, S, Reason.NLI_ENTAILMENT, 0.8),
    ]
    story = assemble([a, b, lonely], edges)
    assert story.groups == [["a", "b"]]
    assert story.claims["a"].verdict is story.claims["b"].verdict is Verdict.CORROBORATED
    assert group_verdict(story.claims, ["a", "b", "z"]) is Verdict.CORROBORATED
    assert story.tally()[Verdict.SINGLE_SOURCE] == 1


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

"""The verdict benchmark's labels are whole and well-formed, and its scoring counts right."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from bench.verdicts.corpus import FRESH
from bench.verdicts.score import Gold, pair_scores, prf, story_scores

BENCH = Path(__file__).resolve().parents[1] / "bench" / "verdicts"
LABELS = {"supports", "partial", "contradicts", "silent"}
TYPES = {"count", "age", "time", "date", "place", "name", "event", "other"}


def _rows() -> list[dict[str, str]]:
    return [
        json.loads(line)
        for path in sorted((BENCH / "labels").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_labels_reference_sentences_and_split_by_incident() -> None:
    refs = json.loads((BENCH / "refs.json").read_text(encoding="utf-8"))
    rows = _rows()
    assert len(rows) >= 1500 and len({r["incident"] for r in rows}) >= 40
    for row in rows:
        ref = refs[row["incident"]]
        assert row["split"] == ref["split"]
        assert [row["claim"], row["evidence"]] == ref["pairs"][row["pair"]]
        assert row["label"] in LABELS
        assert (row["type"] in TYPES) if row["label"] == "contradicts" else row["type"] is None
        # A reference, never copied text: article id and a character span.
        article, span = row["claim"].rsplit(":", 1)
        start, end = (int(x) for x in span.split("-"))
        assert article.startswith(("gv:", "ecb:")) and 0 <= start < end
    splits = Counter(ref["split"] for ref in refs.values())
    assert set(splits) == {"train", "dev", "test", "fresh"}
    # The fresh held-out set is the incidents that follow the first set in the corpus's order.
    assert splits["fresh"] == sum(FRESH.values())
    # Every pair of an incident was labelled.
    for incident, ref in refs.items():
        assert {r["pair"] for r in rows if r["incident"] == incident} == set(ref["pairs"])


def test_pair_scores_count_supports_and_decisive_contradictions() -> None:
    gold = Gold()
    for i, label in enumerate(["supports", "supports", "contradicts", "silent", "partial"]):
        gold.pairs[(f"a:{i}-{i + 1}", f"b:{i}-{i + 1}")] = {
            "label": label,
            "type": "age" if label == "contradicts" else None,
            "incident": "x",
        }
    predicted = {
        "a:0-1|b:0-1": {"relation": "supports"},
        "a:1-2|b:1-2": {"relation": "silent"},
        "a:2-3|b:2-3": {"relation": "contradicts", "decisive": True},
        "a:3-4|b:3-4": {"relation": "contradicts", "decisive": False},
        "a:4-5|b:4-5": {"relation": "supports"},
    }
    scores = pair_scores(gold, predicted)
    assert scores["supports"] == prf(1, 1, 1)
    assert scores["contradicts"] == prf(1, 1, 0)
    assert scores["decisive"] == prf(1, 0, 0)
    assert scores["types"] == {"age": (1, 1)}


def test_story_scores_judge_verdicts_by_their_evidence() -> None:
    gold = Gold()
    gold.sentences = {"A": [(0, 10, "A:0-10"), (11, 20, "A:11-20")], "B": [(0, 10, "B:0-10")]}
    gold.pairs[("A:0-10", "B:0-10")] = {"label": "supports", "incident": "x"}
    gold.pairs[("A:11-20", "B:0-10")] = {"label": "silent", "incident": "x"}
    gold.conflicts["x"] = [("A:11-20", "B:0-10", "age")]

    def claim(start: int, end: int, verdict: str, relation: str) -> dict[str, object]:
        evidence = {"article": "B", "outlet": "b", "start": 0, "end": 10, "relation": relation}
        return {
            "article": "A",
            "outlet": "a",
            "start": start,
            "end": end,
            "text": "x" * (end - start),
            "verdict": verdict,
            "evidence": [evidence],
        }

    report = {
        "x": {
            "articles": ["A", "B"],
            "claims": [
                claim(0, 10, "corroborated", "supports"),
                claim(11, 20, "contested", "contradicts"),
            ],
        }
    }
    counts = story_scores(gold, report)["counts"]
    assert counts["corroborated_ok"] == 1 and counts["corroborated_bad"] == 0
    assert counts["contested_ok"] == 1  # the listed conflict makes it right
    assert (counts["facts"], counts["facts_found"]) == (1, 1)
    assert (counts["conflicts"], counts["conflicts_caught"]) == (1, 1)
    assert counts["own_outlet"] == 0


def test_completion_finds_the_decided_pairs_that_no_label_covers() -> None:
    from bench.verdicts.complete import unlabelled_pairs

    gold = Gold()
    gold.sentences = {
        "A": [(0, 10, "A:0-10"), (11, 20, "A:11-20"), (21, 30, "A:21-30")],
        "B": [(0, 10, "B:0-10"), (11, 20, "B:11-20")],
    }
    gold.pairs[("A:0-10", "B:0-10")] = {"label": "supports", "incident": "x"}

    def claim(start: int, verdict: str, relation: str, at: int) -> dict[str, object]:
        evidence = {"article": "B", "start": at, "end": at + 9, "relation": relation}
        return {"article": "A", "start": start, "end": start + 9, "verdict": verdict,
                "evidence": [evidence]}  # fmt: skip

    claims = [
        claim(0, "corroborated", "supports", 0),  # labelled: nothing to read
        claim(11, "corroborated", "supports", 11),  # unlabelled support
        claim(21, "contested", "contradicts", 0),  # unlabelled contradiction
        claim(21, "single_source", "supports", 11),  # decided nothing
        {"article": "C", "start": 0, "end": 9, "verdict": "corroborated", "evidence": []},
    ]
    # Evidence in an article nobody labelled: nothing to read, no empty incident.
    alone = claim(0, "corroborated", "supports", 0)
    alone["evidence"] = [{"article": "D", "start": 0, "end": 9, "relation": "supports"}]
    assert unlabelled_pairs(gold, {"incidents": {"y": {"claims": [alone]}}}) == {}
    found = unlabelled_pairs(gold, {"incidents": {"x": {"claims": claims}}})
    assert found == {"x": {("A:11-20", "B:11-20"), ("A:21-30", "B:0-10")}}

"""Export shaping and agreement counting on plain data, without models or a database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import numpy as np
import pytest

from models.labels import Reason, Relation, Verdict
from service.assembly import ClaimNode, EvidenceEdge, stance
from service.export import CSV_COLUMNS, csv_lines, safe_cell
from service.schemas import ClaimFound, EvidencePublic

WHEN = datetime(2021, 11, 7, 12, tzinfo=UTC)


@pytest.mark.parametrize("text", ["=1+2", "+33 1 23", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_start_a_formula_become_text(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(("value", "cell"), [("two drones", "two drones"), (None, ""), (3, "3")])
def test_other_cells_stay_as_they_are(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


def _claim(text: str, evidence: list[EvidencePublic]) -> ClaimFound:
    return ClaimFound(
        id="c1",
        article_id="a1",
        source="Gulf Ledger",
        text=text,
        sentence=text,
        start=0,
        end=len(text),
        checkworthiness=0.9,
        verdict=Verdict.CONTESTED,
        supporting_origins=0,
        contradicting_origins=1,
        evidence=evidence,
        story_id="s1",
        url=None,
        title='Drones, "three" of them',
        published_at=WHEN,
    )


def _evidence(source: str, relation: Relation, independent: bool = True) -> EvidencePublic:
    return EvidencePublic(
        article_id="a2",
        source=source,
        text="two drones",
        start=0,
        end=10,
        relation=relation,
        score=0.9,
        reason=Reason.NUMBER_MISMATCH
        if relation is Relation.CONTRADICTS
        else Reason.NLI_ENTAILMENT,
        explanation="numbers differ",
        independent=independent,
    )


def test_csv_quotes_commas_quotes_and_line_breaks() -> None:
    evidence = [
        _evidence("IranWire", Relation.CONTRADICTS),
        _evidence("IranWire", Relation.CONTRADICTS),
        _evidence("Own Desk", Relation.CONTRADICTS, independent=False),
        _evidence("The Guardian", Relation.SUPPORTS),
    ]
    claim = _claim("=Three drones,\nsaid officials", evidence)
    rows = list(csv.DictReader(io.StringIO("".join(csv_lines([claim])))))
    assert len(rows) == 1 and tuple(rows[0]) == CSV_COLUMNS
    row = rows[0]
    assert row["text"] == "'=Three drones,\nsaid officials"
    assert row["title"] == 'Drones, "three" of them'
    assert row["contradicted_by"] == "IranWire"  # once, and never the claim's own outlet
    assert row["supported_by"] == "The Guardian"
    assert row["published_at"] == WHEN.isoformat()


def _node(origin: str, outlet: str) -> ClaimNode:
    return ClaimNode("c", "a", origin, frozenset({outlet}), 0, np.zeros(4, dtype=np.float32))


def _edge(origin: str, outlet: str, relation: Relation, reason: Reason) -> EvidenceEdge:
    return EvidenceEdge("c", "b", origin, frozenset({outlet}), 0, relation, reason, 0.9)


def test_stance_counts_only_independent_evidence_as_verdicts_do() -> None:
    claim = _node("o1", "gulf")
    number = (Relation.CONTRADICTS, Reason.PLACE_MISMATCH)  # decisive
    support = (Relation.SUPPORTS, Reason.NLI_ENTAILMENT)
    assert stance(claim, _edge("o2", "iranwire", *number)) is Relation.CONTRADICTS
    assert stance(claim, _edge("o2", "iranwire", *support)) is Relation.SUPPORTS
    # The claim's own outlet or origin, silence, and a contradiction too weak to contest.
    assert stance(claim, _edge("o2", "gulf", *number)) is None
    assert stance(claim, _edge("o1", "iranwire", *support)) is None
    assert stance(claim, _edge("o2", "iranwire", Relation.SILENT, Reason.UNRELATED)) is None
    assert stance(claim, _edge("o2", "iranwire", Relation.CONTRADICTS, Reason.ANTONYM)) is None
    count = (Relation.CONTRADICTS, Reason.NUMBER_MISMATCH)
    assert stance(claim, _edge("o2", "iranwire", *count)) is None

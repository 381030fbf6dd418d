"""The dashboard's view models on plain data: no model, no database."""

from __future__ import annotations

from datetime import UTC, datetime

from models.labels import Reason, Relation, Verdict
from service.schemas import (
    ClaimGroup,
    ClaimPublic,
    EvidencePublic,
    GroupedClaim,
    StoriesPublic,
    StorySummary,
)
from service.views import Cell, Fragment, claim_map_row, differing_words, story_contests, story_list


def marked(fragments: list[Fragment]) -> list[str]:
    return [f.text for f in fragments if f.marked]


def test_differing_words_are_marked_on_each_side() -> None:
    mine, theirs = differing_words(
        "Security sources shot down two other drones.",
        "Security forces said they shot down three other drones.",
    )
    assert marked(mine) == ["sources", "two"]
    assert marked(theirs) == ["forces said they", "three"]
    # Nothing is lost or added: the fragments are the texts.
    assert "".join(f.text for f in mine) == "Security sources shot down two other drones."


def test_differing_words_ignore_case_and_keep_markup_as_text() -> None:
    mine, theirs = differing_words("The <b>Drone</b> fell", "the <b>drone</b> rose")
    assert marked(mine) == ["fell"] and marked(theirs) == ["rose"]
    assert "".join(f.text for f in theirs) == "the <b>drone</b> rose"


def test_identical_texts_mark_nothing() -> None:
    mine, theirs = differing_words("Two drones.", "Two drones.")
    assert marked(mine) == marked(theirs) == []


def evidence(source: str, relation: Relation, reason: Reason, own: bool = True) -> EvidencePublic:
    return EvidencePublic(
        article_id=f"a-{source}",
        source=source,
        text=f"{source}'s words",
        start=0,
        end=10,
        relation=relation,
        score=0.9,
        reason=reason,
        explanation="why",
        independent=own,
    )


def claim(ident: str, source: str, verdict: Verdict, *found: EvidencePublic) -> ClaimPublic:
    return ClaimPublic(
        id=ident,
        article_id=f"a-{source}",
        source=source,
        text=f"{source} says two drones",
        sentence="s",
        start=0,
        end=1,
        checkworthiness=0.9,
        verdict=verdict,
        supporting_origins=0,
        contradicting_origins=0,
        evidence=list(found),
    )


def group(verdict: Verdict, *members: ClaimPublic) -> ClaimGroup:
    return ClaimGroup(
        verdict=verdict,
        claims=[
            GroupedClaim(
                claim_id=m.id,
                article_id=m.article_id,
                source=m.source,
                text=m.text,
                verdict=m.verdict,
            )
            for m in members
        ],
    )


OUTLETS = ["A", "B", "C", "D", "E"]


def test_the_claim_map_reads_each_outlet_against_the_first_telling() -> None:
    number = Reason.NUMBER_MISMATCH
    a = claim(
        "a",
        "A",
        Verdict.CONTESTED,
        evidence("B", Relation.SUPPORTS, Reason.NLI_ENTAILMENT),
        evidence("C", Relation.CONTRADICTS, number),
        evidence("E", Relation.CONTRADICTS, Reason.NEGATION),  # shown, not decisive
    )
    b = claim("b", "B", Verdict.CONTESTED, evidence("C", Relation.CONTRADICTS, number))
    c = claim("c", "C", Verdict.CONTESTED, evidence("A", Relation.CONTRADICTS, number))
    row = claim_map_row(group(Verdict.CONTESTED, a, b, c), OUTLETS, {x.id: x for x in (a, b, c)})
    cells = {cell.outlet: cell.state for cell in row.cells}
    # B agrees with A, though C contests B too: the row reads against A, the first telling.
    assert cells == {
        "A": Cell.STATES,
        "B": Cell.STATES,
        "C": Cell.CONTRADICTS,
        "D": Cell.SILENT,
        "E": Cell.SILENT,
    }
    assert [cell.claim_id for cell in row.cells] == ["a", "b", "c", None, None]
    assert row.claim_id == "a" and row.verdict is Verdict.CONTESTED


def test_an_outlet_without_a_telling_speaks_by_its_evidence() -> None:
    a = claim(
        "a",
        "A",
        Verdict.CORROBORATED,
        evidence("D", Relation.SUPPORTS, Reason.VALUES_AGREE),
        evidence("E", Relation.SUPPORTS, Reason.VALUES_AGREE, own=False),  # a copy of A
    )
    b = claim("b", "B", Verdict.CONTESTED, evidence("C", Relation.CONTRADICTS, Reason.AGE_MISMATCH))
    row = claim_map_row(group(Verdict.CONTESTED, a, b), OUTLETS, {"a": a, "b": b})
    cells = {cell.outlet: cell.state for cell in row.cells}
    assert cells["D"] is Cell.STATES and cells["E"] is Cell.SILENT
    assert cells["C"] is Cell.CONTRADICTS  # it contests a telling, though not the first


def test_contests_pair_the_first_contested_telling_with_each_outlet_once() -> None:
    number = Reason.NUMBER_MISMATCH
    a = claim("a", "A", Verdict.CORROBORATED)
    b = claim(
        "b",
        "B",
        Verdict.CONTESTED,
        evidence("C", Relation.CONTRADICTS, number),
        evidence("C", Relation.CONTRADICTS, Reason.DATE_MISMATCH),
        evidence("D", Relation.CONTRADICTS, Reason.NEGATION),
        evidence("E", Relation.CONTRADICTS, number, own=False),
    )
    shown = story_contests(group(Verdict.CONTESTED, a, b), {"a": a, "b": b})
    assert [(s.claim_id, s.evidence_source, s.reason) for s in shown] == [
        ("b", "C", "number mismatch")
    ]


def summary(ident: str) -> StorySummary:
    now = datetime(2021, 11, 7, tzinfo=UTC)
    return StorySummary(
        id=ident,
        key=None,
        title=None,
        created_at=now,
        updated_at=now,
        articles=2,
        sources=2,
        claims=3,
        corroborated=1,
        contested=1,
        single_source=1,
    )


def test_story_list_pages() -> None:
    middle = story_list(
        StoriesPublic(data=[summary("s3"), summary("s4")], count=5, offset=2, limit=2)
    )
    assert (middle.first, middle.last, middle.previous_offset, middle.next_offset) == (3, 4, 0, 4)
    assert middle.rows[0].title == "s3"  # no title, no key: the id
    last = story_list(StoriesPublic(data=[summary("s5")], count=5, offset=4, limit=2))
    assert (last.previous_offset, last.next_offset) == (2, None)
    empty = story_list(StoriesPublic(data=[], count=0, offset=0, limit=20))
    assert (empty.first, empty.last, empty.previous_offset, empty.next_offset) == (0, 0, None, None)

"""The dashboard's view models on plain data: no model, no database."""

from __future__ import annotations

from datetime import UTC, datetime

from models.labels import Reason, Relation, Verdict
from service.schemas import (
    ClaimGroup,
    ClaimPublic,
    EvidencePublic,
    GroupedClaim,
    SourceAgreement,
    SourceDetail,
    SourcesPublic,
    StoriesPublic,
    StoryOrder,
    StorySummary,
    VerdictCounts,
)
from service.views import (
    MATRIX_OUTLETS,
    Cell,
    Fragment,
    StorySearch,
    claim_map_row,
    differing_words,
    matrix_outlets,
    source_page,
    sources_page,
    story_contests,
    story_list,
)


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
    decisive = Reason.AGE_MISMATCH  # a count or a date decides nothing
    a = claim(
        "a",
        "A",
        Verdict.CONTESTED,
        evidence("B", Relation.SUPPORTS, Reason.NLI_ENTAILMENT),
        evidence("C", Relation.CONTRADICTS, decisive),
        evidence("E", Relation.CONTRADICTS, Reason.NEGATION),  # shown, not decisive
    )
    b = claim("b", "B", Verdict.CONTESTED, evidence("C", Relation.CONTRADICTS, decisive))
    c = claim("c", "C", Verdict.CONTESTED, evidence("A", Relation.CONTRADICTS, decisive))
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
    decisive = Reason.AGE_MISMATCH  # a count or a date decides nothing
    a = claim("a", "A", Verdict.CORROBORATED)
    b = claim(
        "b",
        "B",
        Verdict.CONTESTED,
        evidence("C", Relation.CONTRADICTS, decisive),
        evidence("C", Relation.CONTRADICTS, Reason.DATE_MISMATCH),
        evidence("D", Relation.CONTRADICTS, Reason.NEGATION),
        evidence("E", Relation.CONTRADICTS, decisive, own=False),
    )
    shown = story_contests(group(Verdict.CONTESTED, a, b), {"a": a, "b": b})
    assert [(s.claim_id, s.evidence_source, s.reason) for s in shown] == [
        ("b", "C", "age mismatch")
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


NEWEST = StorySearch("", StoryOrder.NEWEST, False)


def test_story_list_pages() -> None:
    middle = story_list(
        StoriesPublic(data=[summary("s3"), summary("s4")], count=5, offset=2, limit=2), NEWEST
    )
    assert (middle.first, middle.last, middle.previous, middle.next) == (3, 4, "", "?offset=4")
    assert middle.rows[0].title == "s3"  # no title, no key: the id
    last = story_list(StoriesPublic(data=[summary("s5")], count=5, offset=4, limit=2), NEWEST)
    assert (last.previous, last.next) == ("?offset=2", None)
    empty = story_list(StoriesPublic(data=[], count=0, offset=0, limit=20), NEWEST)
    assert (empty.first, empty.last, empty.previous, empty.next) == (0, 0, None, None)


def test_a_search_keeps_its_words_and_order_from_page_to_page() -> None:
    search = StorySearch("two drones & more", StoryOrder.CONTESTED, True)
    assert search.query(20) == "?offset=20&q=two+drones+%26+more&order=contested&contested=true"
    assert search.query(0) == "?q=two+drones+%26+more&order=contested&contested=true"


def pair(other: str, agreeing: int, contradicting: int) -> SourceAgreement:
    share = agreeing / (agreeing + contradicting)
    return SourceAgreement(
        source=other, agreeing=agreeing, contradicting=contradicting, agreement_share=share
    )


def detail(name: str, *pairs: SourceAgreement) -> SourceDetail:
    return SourceDetail(
        name=name,
        domain=None,
        articles=1,
        claims=4,
        corroborated_share=0.5,
        contested_share=0.25,
        single_source_share=0.25,
        verdicts=VerdictCounts(corroborated=2, contested=1, single_source=1),
        agrees_with=[p for p in pairs if p.agreeing],
        disagrees_with=[p for p in pairs if p.contradicting],
    )


def test_the_agreement_matrix_has_a_cell_per_pair_of_outlets() -> None:
    a = detail("A / Wire", pair("B", 3, 1), pair("C", 0, 2))
    b = detail("B", pair("A / Wire", 3, 1))
    c = detail("C", pair("A / Wire", 0, 2))
    listed = SourcesPublic(data=[a, b, c], count=3)
    page = sources_page(listed, [a, b, c])
    assert page.outlets == ["A / Wire", "B", "C"] and page.left_out == 0
    first = page.matrix[0]
    assert first.href == "/sources/A%20%2F%20Wire"
    assert first.cells[0] is None  # an outlet is not paired with itself
    cells = [(x.agreeing, x.contradicting, x.level, x.share) for x in first.cells if x]
    assert cells == [(3, 1, "mixed", "75%"), (0, 2, "clash", "0%")]
    assert [x.level if x else None for x in page.matrix[1].cells] == ["mixed", None, None]


def test_the_matrix_keeps_the_outlets_with_most_claims() -> None:
    many = [detail(f"S{i:02}") for i in range(MATRIX_OUTLETS + 3)]
    many[-1] = many[-1].model_copy(update={"claims": 99})
    chosen = matrix_outlets(SourcesPublic(data=many, count=len(many)))
    assert len(chosen) == MATRIX_OUTLETS and f"S{MATRIX_OUTLETS + 2:02}" in chosen
    assert chosen == sorted(chosen)


def test_a_source_page_lists_the_outlets_it_meets_most_pairs_first() -> None:
    page = source_page(detail("A", pair("B", 1, 0), pair("C", 2, 3)))
    assert [(a.other, a.level) for a in page.agreements] == [("C", "mixed"), ("B", "agree")]
    assert (page.tally.claims, page.tally.contested) == (4, 1)

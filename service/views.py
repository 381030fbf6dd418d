"""The dashboard's view models: what each page shows, prepared from the core's public answers.

Templates only print these; every choice (a cell's colour, the words to highlight, the order)
is made here, in plain Python that needs no model and no database.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import quote, urlencode

from models.labels import Reason, Relation, Verdict
from service.assembly import contests
from service.schemas import (
    ArticlePublic,
    ClaimGroup,
    ClaimPublic,
    CompareEvidence,
    CompareReport,
    EvidencePublic,
    SourceAgreement,
    SourceDetail,
    SourcePublic,
    SourcesPublic,
    StoriesPublic,
    StoryOrder,
    StoryPublic,
)

VERDICT_WORDS = {
    Verdict.CORROBORATED: "corroborated",
    Verdict.CONTESTED: "contested",
    Verdict.SINGLE_SOURCE: "single source",
}
MATRIX_OUTLETS = 12
"""Most outlets in the agreement matrix (those with the most claims): wider is unreadable."""
_TOKENS = re.compile(r"\w+|[^\w\s]|\s+")


class Cell(StrEnum):
    """What an outlet says of a fact, in the claim map."""

    STATES = "states"
    CONTRADICTS = "contradicts"
    SILENT = "silent"


@dataclass(frozen=True)
class Fragment:
    """A piece of text, marked or not (a differing word, the claim's sentence)."""

    text: str
    marked: bool = False


class Counted(Protocol):
    """Anything that counts claims by verdict: a story, a compare report's totals."""

    @property
    def claims(self) -> int: ...

    @property
    def corroborated(self) -> int: ...

    @property
    def contested(self) -> int: ...

    @property
    def single_source(self) -> int: ...


@dataclass(frozen=True)
class Tally:
    """Claims by verdict."""

    claims: int
    corroborated: int
    contested: int
    single_source: int

    @classmethod
    def of(cls, counted: Counted) -> Tally:
        """The counts of a story or a report."""
        return cls(counted.claims, counted.corroborated, counted.contested, counted.single_source)


@dataclass(frozen=True)
class StoryRow:
    """One story in the list."""

    id: str
    title: str
    updated: str
    sources: int
    tally: Tally


@dataclass(frozen=True)
class StorySearch:
    """What the stories page was asked for: words, order, contested stories only."""

    q: str
    order: StoryOrder
    contested: bool

    def query(self, offset: int) -> str:
        """The query string of this search at another offset."""
        params: dict[str, str | int] = {"offset": offset} if offset else {}
        if self.q:
            params["q"] = self.q
        if self.order is not StoryOrder.NEWEST:
            params["order"] = self.order.value
        if self.contested:
            params["contested"] = "true"
        return "?" + urlencode(params) if params else ""


@dataclass(frozen=True)
class StoryList:
    """The stories page: one page of stories and the links to the pages around it."""

    rows: list[StoryRow]
    count: int
    first: int
    last: int
    previous: str | None
    """Query string of the page before, if any; `next` likewise."""
    next: str | None


@dataclass(frozen=True)
class MapCell:
    """One outlet's cell in a fact's row."""

    outlet: str
    state: Cell
    claim_id: str | None
    """The outlet's own telling of the fact, when it has one."""


@dataclass(frozen=True)
class FactRow:
    """A fact of the claim map: its first telling, its verdict and a cell per outlet."""

    claim_id: str
    text: str
    source: str
    verdict: Verdict
    verdict_words: str
    cells: list[MapCell]


@dataclass(frozen=True)
class Contest:
    """A contested fact side by side: the claim, the other outlet's words, and why."""

    claim_id: str
    claim_source: str
    claim: list[Fragment]
    evidence_source: str
    evidence_article_id: str | None
    evidence: list[Fragment]
    reason: str
    explanation: str


@dataclass(frozen=True)
class ArticleRow:
    """An article of a story."""

    id: str
    source: str
    title: str
    published: str


@dataclass(frozen=True)
class StoryPage:
    """A story: its claim map, its contested facts side by side, its articles."""

    id: str
    title: str
    tally: Tally
    outlets: list[str]
    facts: list[FactRow]
    contests: list[Contest]
    articles: list[ArticleRow]
    events: str
    """The live events of the story (the page follows them)."""
    alone: int
    """Claims told by one outlet only (no row in the map)."""


@dataclass(frozen=True)
class EvidenceRow:
    """A piece of evidence about a claim."""

    source: str
    article_id: str | None
    text: str
    relation: str
    reason: str
    explanation: str
    score: str
    independent: bool
    contests: bool


@dataclass(frozen=True)
class ClaimPage:
    """A claim in its article, with all its evidence."""

    id: str
    text: str
    source: str
    verdict: Verdict
    verdict_words: str
    supporting: int
    contradicting: int
    article_id: str
    article_title: str
    story_id: str
    article_text: list[Fragment]
    evidence: list[EvidenceRow]
    reads: str | None = None
    """The claim as compared, where its opening pronoun was read as a name."""


@dataclass(frozen=True)
class SourceRow:
    """An outlet and how its claims fare, in per cent."""

    name: str
    href: str
    domain: str
    articles: int
    claims: int
    corroborated: str
    contested: str
    single_source: str


@dataclass(frozen=True)
class Agreement:
    """How often two outlets agree and clash (independent claim pairs)."""

    other: str
    href: str
    agreeing: int
    contradicting: int
    share: str
    level: str
    """agree (never clashes), clash (never agrees) or mixed."""


@dataclass(frozen=True)
class MatrixRow:
    """An outlet's row of the agreement matrix: a cell per outlet, None where no pair."""

    name: str
    href: str
    cells: list[Agreement | None]


@dataclass(frozen=True)
class SourcesPage:
    """Every outlet, and the agreement matrix of those with the most claims."""

    rows: list[SourceRow]
    outlets: list[str]
    matrix: list[MatrixRow]
    left_out: int
    """Outlets not in the matrix (it holds MATRIX_OUTLETS at most)."""


@dataclass(frozen=True)
class SourcePage:
    """One outlet: its claims by verdict and every outlet it agrees or clashes with."""

    row: SourceRow
    tally: Tally
    agreements: list[Agreement]


@dataclass(frozen=True)
class ReportClaim:
    """A claim of a compare report with its evidence."""

    id: str
    text: str
    verdict: Verdict
    verdict_words: str
    evidence: list[EvidenceRow]


@dataclass(frozen=True)
class ReportArticle:
    """An article of a compare report."""

    source: str
    title: str
    claims: list[ReportClaim]


@dataclass(frozen=True)
class ReportPage:
    """The compare report of pasted articles (nothing stored)."""

    articles: list[ReportArticle]
    tally: Tally


def differing_words(a: str, b: str) -> tuple[list[Fragment], list[Fragment]]:
    """Both texts cut into fragments, the words the other text lacks marked (case aside).

    Whitespace is never marked on its own, so "three other" reads as one marked run.
    """
    ta, tb = _TOKENS.findall(a), _TOKENS.findall(b)
    matcher = difflib.SequenceMatcher(
        None, [t.lower() for t in ta], [t.lower() for t in tb], autojunk=False
    )
    marked_a, marked_b = [False] * len(ta), [False] * len(tb)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            marked_a[i1:i2] = [not t.isspace() for t in ta[i1:i2]]
            marked_b[j1:j2] = [not t.isspace() for t in tb[j1:j2]]
    return _fragments(ta, marked_a), _fragments(tb, marked_b)


def _fragments(tokens: Sequence[str], marked: Sequence[bool]) -> list[Fragment]:
    # A space between two marked words joins them; elsewhere it stays unmarked.
    flags = list(marked)
    for i in range(1, len(tokens) - 1):
        if tokens[i].isspace() and flags[i - 1] and flags[i + 1]:
            flags[i] = True
    out: list[Fragment] = []
    for token, flag in zip(tokens, flags, strict=True):
        if out and out[-1].marked == flag:
            out[-1] = Fragment(out[-1].text + token, flag)
        else:
            out.append(Fragment(token, flag))
    return out


def _contests(evidence: EvidencePublic | CompareEvidence) -> bool:
    return evidence.independent and contests(evidence)


def _supports(evidence: EvidencePublic) -> bool:
    return evidence.independent and evidence.relation is Relation.SUPPORTS


def _words(reason: Reason) -> str:
    return reason.value.replace("_", " ")


def story_list(page: StoriesPublic, search: StorySearch) -> StoryList:
    """The rows of a page of stories and the offsets of its neighbours."""
    rows = [
        StoryRow(
            id=s.id,
            title=s.title or s.key or s.id,
            updated=f"{s.updated_at:%Y-%m-%d %H:%M} UTC",
            sources=s.sources,
            tally=Tally.of(s),
        )
        for s in page.data
    ]
    after = page.offset + len(rows)
    return StoryList(
        rows=rows,
        count=page.count,
        first=page.offset + 1 if rows else 0,
        last=after,
        previous=search.query(max(page.offset - page.limit, 0)) if page.offset > 0 else None,
        next=search.query(after) if after < page.count else None,
    )


def claim_map_row(
    group: ClaimGroup, outlets: Sequence[str], claims: dict[str, ClaimPublic]
) -> FactRow:
    """A fact's row: what each outlet says of the fact's first telling.

    An outlet *contradicts* when a decisive independent contradiction stands between its text
    and the first telling's outlet (either way), or, telling the fact nowhere itself, its text
    contests any telling; it *states* the fact when it is the first telling's outlet, tells the
    fact, or its text supports a telling; else it is *silent*.
    """
    first = claims[group.claims[0].claim_id]
    members = [claims[g.claim_id] for g in group.claims]
    cells = []
    for outlet in outlets:
        own = [m for m in members if m.source == outlet]
        if own or outlet == first.source:
            against = any(
                _contests(e) and e.source == first.source for m in own for e in m.evidence
            ) or any(_contests(e) and e.source == outlet for e in first.evidence)
            state = Cell.CONTRADICTS if against and outlet != first.source else Cell.STATES
        else:
            said = [e for m in members for e in m.evidence if e.source == outlet]
            state = (
                Cell.CONTRADICTS
                if any(_contests(e) for e in said)
                else Cell.STATES
                if any(_supports(e) for e in said)
                else Cell.SILENT
            )
        cells.append(MapCell(outlet, state, own[0].id if own else None))
    return FactRow(
        claim_id=first.id,
        text=first.text,
        source=first.source,
        verdict=group.verdict,
        verdict_words=VERDICT_WORDS[group.verdict],
        cells=cells,
    )


def story_contests(group: ClaimGroup, claims: dict[str, ClaimPublic]) -> list[Contest]:
    """A contested fact side by side: its first contested telling against each outlet that
    contests it, the differing words marked."""
    contested = [claims[g.claim_id] for g in group.claims if g.verdict is Verdict.CONTESTED]
    if not contested:
        return []
    claim = contested[0]
    out, seen = [], set()
    for evidence in claim.evidence:
        if not _contests(evidence) or evidence.source in seen:
            continue
        seen.add(evidence.source)
        mine, theirs = differing_words(claim.text, evidence.text)
        out.append(
            Contest(
                claim_id=claim.id,
                claim_source=claim.source,
                claim=mine,
                evidence_source=evidence.source,
                evidence_article_id=evidence.article_id,
                evidence=theirs,
                reason=_words(evidence.reason),
                explanation=evidence.explanation,
            )
        )
    return out


def story_page(story: StoryPublic) -> StoryPage:
    """The story page: outlets in the order their articles came, facts in the story's order."""
    outlets = list(dict.fromkeys(a.source for a in story.article_list))
    claims = {c.id: c for c in story.claim_list}
    grouped = {g.claim_id for group in story.claim_groups for g in group.claims}
    return StoryPage(
        id=story.id,
        title=story.title or story.key or story.id,
        tally=Tally.of(story),
        outlets=outlets,
        facts=[claim_map_row(g, outlets, claims) for g in story.claim_groups],
        contests=[
            c
            for g in story.claim_groups
            if g.verdict is Verdict.CONTESTED
            for c in story_contests(g, claims)
        ],
        articles=[
            ArticleRow(a.id, a.source, a.title or a.id, f"{a.published_at:%Y-%m-%d %H:%M} UTC")
            for a in story.article_list
        ],
        events="/v1/events?" + urlencode({"story": story.id}),
        alone=sum(1 for c in story.claim_list if c.id not in grouped),
    )


def evidence_row(evidence: EvidencePublic | CompareEvidence, article_id: str | None) -> EvidenceRow:
    """A piece of evidence, stored or of a compare report, as a row."""
    return EvidenceRow(
        source=evidence.source,
        article_id=article_id,
        text=evidence.text,
        relation=evidence.relation.value,
        reason=_words(evidence.reason),
        explanation=evidence.explanation,
        score=f"{evidence.score:.2f}",
        independent=evidence.independent,
        contests=_contests(evidence),
    )


def claim_page(claim: ClaimPublic, article: ArticlePublic) -> ClaimPage:
    """The claim page: the article's text with the claim's sentence marked, and the evidence."""
    text = article.text
    return ClaimPage(
        id=claim.id,
        text=claim.text,
        source=claim.source,
        verdict=claim.verdict,
        verdict_words=VERDICT_WORDS[claim.verdict],
        supporting=claim.supporting_origins,
        contradicting=claim.contradicting_origins,
        article_id=article.id,
        article_title=article.title or article.id,
        story_id=article.story_id,
        article_text=[
            f
            for f in (
                Fragment(text[: claim.start]),
                Fragment(text[claim.start : claim.end], marked=True),
                Fragment(text[claim.end :]),
            )
            if f.text
        ],
        evidence=[evidence_row(e, e.article_id) for e in claim.evidence],
        reads=claim.reads,
    )


def source_href(name: str) -> str:
    """The page of an outlet."""
    return "/sources/" + quote(name, safe="")


def source_row(source: SourcePublic) -> SourceRow:
    """An outlet with its shares in per cent."""
    return SourceRow(
        name=source.name,
        href=source_href(source.name),
        domain=source.domain or "",
        articles=source.articles,
        claims=source.claims,
        corroborated=f"{source.corroborated_share:.0%}",
        contested=f"{source.contested_share:.0%}",
        single_source=f"{source.single_source_share:.0%}",
    )


def matrix_outlets(sources: SourcesPublic) -> list[str]:
    """The outlets the agreement matrix shows: those with the most claims, by name."""
    ranked = sorted(sources.data, key=lambda s: (-s.claims, s.name))[:MATRIX_OUTLETS]
    return sorted(s.name for s in ranked)


def agreement(pair: SourceAgreement) -> Agreement:
    """One outlet's record with another."""
    level = "agree" if not pair.contradicting else "clash" if not pair.agreeing else "mixed"
    return Agreement(
        other=pair.source,
        href=source_href(pair.source),
        agreeing=pair.agreeing,
        contradicting=pair.contradicting,
        share=f"{pair.agreement_share:.0%}",
        level=level,
    )


def _agreements(detail: SourceDetail) -> dict[str, Agreement]:
    # An outlet both agreed and clashed with is in both lists, with the same counts.
    return {a.source: agreement(a) for a in (*detail.agrees_with, *detail.disagrees_with)}


def sources_page(sources: SourcesPublic, details: Sequence[SourceDetail]) -> SourcesPage:
    """The sources page: every outlet, and the matrix of the outlets `details` describe."""
    outlets = [d.name for d in details]
    matrix = []
    for detail in details:
        pairs = _agreements(detail)
        matrix.append(
            MatrixRow(detail.name, source_href(detail.name), [pairs.get(o) for o in outlets])
        )
    return SourcesPage(
        rows=[source_row(s) for s in sources.data],
        outlets=outlets,
        matrix=matrix,
        left_out=len(sources.data) - len(outlets),
    )


def source_page(detail: SourceDetail) -> SourcePage:
    """One outlet's page: the outlets it meets, most claim pairs first."""
    pairs = sorted(
        _agreements(detail).values(), key=lambda a: (-(a.agreeing + a.contradicting), a.other)
    )
    verdicts = detail.verdicts
    tally = Tally(
        verdicts.corroborated + verdicts.contested + verdicts.single_source,
        verdicts.corroborated,
        verdicts.contested,
        verdicts.single_source,
    )
    return SourcePage(row=source_row(detail), tally=tally, agreements=pairs)


def report_page(report: CompareReport) -> ReportPage:
    """The compare report as pages show it."""
    articles = [
        ReportArticle(
            source=a.source,
            title=a.title or f"article {i + 1}",
            claims=[
                ReportClaim(
                    id=c.id,
                    text=c.text,
                    verdict=c.verdict,
                    verdict_words=VERDICT_WORDS[c.verdict],
                    evidence=[evidence_row(e, None) for e in c.evidence],
                )
                for c in a.claims
            ],
        )
        for i, a in enumerate(report.articles)
    ]
    return ReportPage(articles=articles, tally=Tally.of(report.story))

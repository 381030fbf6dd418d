"""The stateless report: articles in, claim-by-claim verdicts out, nothing stored."""

from __future__ import annotations

from collections.abc import Sequence

from models.judge import Judge
from models.labels import Verdict
from service.assembly import ClaimNode, EvidenceEdge, assemble
from service.config import Settings
from service.matching import Link, match
from service.pipeline import Analysed
from service.schemas import (
    Attribution,
    CompareArticle,
    CompareClaim,
    CompareEvidence,
    CompareReport,
    CompareStory,
)
from service.stories import find_origin


def compare_report(analysed: Sequence[Analysed], judge: Judge, settings: Settings) -> CompareReport:
    """The claim-by-claim report on analysed articles taken as one story; nothing is stored."""
    origins: list[int] = []
    prints = [item.shingles for item in analysed]
    for i in range(len(analysed)):
        found = find_origin(
            prints[i],
            [(str(origins[j]), prints[j]) for j in range(i)],
            settings.duplicate_similarity,
        )
        origins.append(int(found) if found is not None else i)
    sides = [item.side(str(i), str(origins[i])) for i, item in enumerate(analysed)]
    links: list[Link] = []
    for i, side in enumerate(sides):
        links.extend(match(side, sides[:i], judge, settings.candidates_per_origin))
    nodes = [
        ClaimNode(
            f"{i}.{j}",
            str(i),
            str(origins[i]),
            sides[i].outlet,
            claim.sentence_index,
            item.claim_vectors[j],
        )
        for i, item in enumerate(analysed)
        for j, claim in enumerate(item.claims)
    ]
    edges = [
        EvidenceEdge(
            f"{link.claim_article}.{link.claim_index}",
            link.evidence_article,
            link.evidence_origin,
            link.evidence_outlet,
            link.sentence_index,
            link.judgement.relation,
            link.judgement.reason,
            link.judgement.probability,
        )
        for link in links
    ]
    story = assemble(nodes, edges)
    report_articles = []
    for i, item in enumerate(analysed):
        claims = []
        for j, claim in enumerate(item.claims):
            assembled = story.claims[f"{i}.{j}"]
            claims.append(
                CompareClaim(
                    id=f"{i}.{j}",
                    text=claim.text,
                    sentence=claim.sentence,
                    start=claim.start,
                    end=claim.end,
                    verdict=assembled.verdict,
                    attribution=(
                        Attribution.model_validate(claim.attribution, from_attributes=True)
                        if claim.attribution
                        else None
                    ),
                    hedges=claim.hedges,
                    reads=claim.reads,
                    evidence=[
                        _evidence(links[k], own)
                        for k, own in zip(assembled.evidence, assembled.independent, strict=True)
                    ],
                )
            )
        report_articles.append(
            CompareArticle(source=item.source, title=item.title, origin=origins[i], claims=claims)
        )
    tally = story.tally()
    return CompareReport(
        articles=report_articles,
        story=CompareStory(
            articles=len(analysed),
            origins=len(set(origins)),
            claims=sum(tally.values()),
            corroborated=tally[Verdict.CORROBORATED],
            contested=tally[Verdict.CONTESTED],
            single_source=tally[Verdict.SINGLE_SOURCE],
            claim_groups=story.groups,
        ),
    )


def _evidence(link: Link, independent: bool) -> CompareEvidence:
    return CompareEvidence(
        article=int(link.evidence_article),
        source=link.evidence_source,
        text=link.text,
        start=link.span()[0],
        end=link.span()[1],
        relation=link.judgement.relation,
        reason=link.judgement.reason,
        explanation=link.judgement.explanation,
        score=link.judgement.probability,
        independent=independent,
    )

"""The stateless report: articles in, claim-by-claim verdicts out, nothing stored."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from models.embedder import Vectors
from models.judge import Judge
from models.labels import Relation, Verdict
from service.config import Settings
from service.matching import Link, connected_groups, fact_edges, match, verdict
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
    by_claim: dict[tuple[str, int], list[Link]] = defaultdict(list)
    for link in links:
        by_claim[(link.claim_article, link.claim_index)].append(link)
    report_articles = []
    tally: Counter[Verdict] = Counter()
    for i, item in enumerate(analysed):
        claims = []
        for j, claim in enumerate(item.claims):
            mine = by_claim[(str(i), j)]
            result, _, _ = verdict(mine)
            tally[result] += 1
            mine.sort(key=lambda link: (_contradictions_first(link), -link.judgement.probability))
            claims.append(
                CompareClaim(
                    id=f"{i}.{j}",
                    text=claim.text,
                    sentence=claim.sentence,
                    start=claim.start,
                    end=claim.end,
                    verdict=result,
                    attribution=(
                        Attribution.model_validate(claim.attribution, from_attributes=True)
                        if claim.attribution
                        else None
                    ),
                    hedges=claim.hedges,
                    evidence=[
                        CompareEvidence(
                            article=int(link.evidence_article),
                            source=link.evidence_source,
                            text=link.text,
                            start=link.span()[0],
                            end=link.span()[1],
                            relation=link.judgement.relation,
                            reason=link.judgement.reason,
                            explanation=link.judgement.explanation,
                            score=link.judgement.probability,
                        )
                        for link in mine
                    ],
                )
            )
        report_articles.append(
            CompareArticle(source=item.source, title=item.title, origin=origins[i], claims=claims)
        )
    vectors = {
        f"{i}.{j}": item.claim_vectors[j]
        for i, item in enumerate(analysed)
        for j in range(len(item.claims))
    }
    per_sentence: dict[tuple[str, int], list[tuple[str, Vectors]]] = defaultdict(list)
    for i, item in enumerate(analysed):
        for j, claim in enumerate(item.claims):
            per_sentence[(str(i), claim.sentence_index)].append((f"{i}.{j}", vectors[f"{i}.{j}"]))
    edges = fact_edges(
        (
            (
                f"{link.claim_article}.{link.claim_index}",
                link.evidence_article,
                link.sentence_index,
            )
            for link in links
        ),
        per_sentence,
        vectors,
    )
    groups = connected_groups(list(vectors), edges)
    return CompareReport(
        articles=report_articles,
        story=CompareStory(
            articles=len(analysed),
            origins=len(set(origins)),
            claims=sum(tally.values()),
            corroborated=tally[Verdict.CORROBORATED],
            contested=tally[Verdict.CONTESTED],
            single_source=tally[Verdict.SINGLE_SOURCE],
            claim_groups=groups,
        ),
    )


def _contradictions_first(link: Link) -> int:
    return 0 if link.judgement.relation is Relation.CONTRADICTS else 1

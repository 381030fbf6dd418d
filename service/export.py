"""Claims in the shapes other tools read: CSV rows and schema.org ClaimReview (JSON-LD).

Shaping only: the claims come from the core's one search (`Crosscheck.export_claims`), and the
HTTP face streams what these functions make.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from models.labels import Relation, Verdict
from service.schemas import ArticleSummary, ClaimFound, EvidencePublic

CSV_COLUMNS = (
    "claim_id",
    "story_id",
    "article_id",
    "source",
    "url",
    "title",
    "published_at",
    "verdict",
    "supporting_origins",
    "contradicting_origins",
    "checkworthiness",
    "text",
    "sentence",
    "start",
    "end",
    "supported_by",
    "contradicted_by",
)
"""The columns of a claims CSV, in order."""

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); a
# leading apostrophe makes it text. Tab and carriage return start formulas in some as well.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

REVIEWER = "crosscheck"
"""The name a ClaimReview gives as its author."""


def safe_cell(value: object) -> str:
    """A value as a CSV cell that no spreadsheet reads as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _independent(claim: ClaimFound, relation: Relation) -> list[EvidencePublic]:
    return [e for e in claim.evidence if e.independent and e.relation is relation]


def _outlets(evidence: Iterable[EvidencePublic]) -> str:
    return "; ".join(dict.fromkeys(e.source for e in evidence))


def csv_row(claim: ClaimFound) -> list[str]:
    """One claim as CSV cells, in CSV_COLUMNS order; the last two name the outlets whose
    independent evidence supports or contradicts it."""
    values: list[object] = [
        claim.id,
        claim.story_id,
        claim.article_id,
        claim.source,
        claim.url,
        claim.title,
        claim.published_at.isoformat(),
        claim.verdict.value,
        claim.supporting_origins,
        claim.contradicting_origins,
        claim.checkworthiness,
        claim.text,
        claim.sentence,
        claim.start,
        claim.end,
        _outlets(_independent(claim, Relation.SUPPORTS)),
        _outlets(_independent(claim, Relation.CONTRADICTS)),
    ]
    return [safe_cell(v) for v in values]


def csv_lines(claims: Iterable[ClaimFound]) -> Iterator[str]:
    """The header, then one CSV line per claim (RFC 4180 quoting, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[str]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(CSV_COLUMNS)
    for claim in claims:
        yield line(csv_row(claim))


def _organization(name: str) -> dict[str, str]:
    return {"@type": "Organization", "name": name}


def _work(article: ArticleSummary) -> dict[str, Any]:
    work: dict[str, Any] = {
        "@type": "CreativeWork",
        "publisher": _organization(article.source),
        "datePublished": article.published_at.isoformat(),
    }
    if article.url:
        work["url"] = article.url
    if article.title:
        work["headline"] = article.title
    return work


def claim_review(
    claim: ClaimFound, articles: Mapping[str, ArticleSummary], url: str
) -> dict[str, Any]:
    """A schema.org ClaimReview of a contested claim, for a fact-check page to embed.

    The reviewed Claim appears in the claim's own article and in each article whose
    independent evidence supports it; the review is crosscheck's verdict ("Contested"), its
    explanation names the outlets that contradict the claim, with their words and the reason,
    and `citation` lists those articles. It rates no claim true or false.

    Args:
        claim: A contested claim.
        articles: The claim's article and its evidence's articles, by id.
        url: Where the review itself is served.

    Raises:
        ValueError: the claim is not contested.
    """
    if claim.verdict is not Verdict.CONTESTED:
        raise ValueError(f"claim {claim.id} is {claim.verdict.value}, not contested")

    def stored(evidence: list[EvidencePublic]) -> list[tuple[EvidencePublic, ArticleSummary]]:
        found = [(e, articles.get(e.article_id or "")) for e in evidence]
        return [(e, a) for e, a in found if a is not None]

    contested_by = stored(_independent(claim, Relation.CONTRADICTS))
    supported_by = stored(_independent(claim, Relation.SUPPORTS))
    appearing = [articles[claim.article_id], *(a for _e, a in supported_by)]
    appearances = list({a.id: a for a in appearing}.values())
    first = min(appearances, key=lambda a: a.published_at)
    cited = list({a.id: a for _e, a in contested_by}.values())
    # When crosscheck first held the claim and the evidence that contests it.
    reviewed_at = max(a.created_at for a in [articles[claim.article_id], *cited])
    explanation = " ".join(
        f"{e.source} says otherwise: \u201c{e.text}\u201d ({e.explanation})."
        for e, _a in contested_by
    )
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim.text,
        "datePublished": reviewed_at.isoformat(),
        "author": _organization(REVIEWER),
        "itemReviewed": {
            "@type": "Claim",
            "author": _organization(claim.source),
            "datePublished": first.published_at.isoformat(),
            "firstAppearance": _work(first),
            "appearance": [_work(a) for a in appearances],
        },
        "reviewRating": {
            "@type": "Rating",
            "alternateName": "Contested",
            "ratingExplanation": explanation,
        },
        "citation": [_work(a) for a in cited],
    }

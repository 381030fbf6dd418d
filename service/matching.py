"""Matching and verdicts: claims of one article against the text of the story's other origins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from models.claims import Attribution
from models.embedder import Vectors
from models.judge import Judge, Judgement
from models.labels import Relation, Verdict
from service.index import SentenceIndex


@dataclass(frozen=True)
class SentenceView:
    """A sentence as evidence: its text and offsets in its article."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class ClaimView:
    """A claim as matching needs it."""

    text: str
    sentence_index: int
    attribution: Attribution | None


@dataclass
class Side:
    """One article as the matcher sees it (stored or in a compare request)."""

    key: str
    origin: str
    source: str
    text: str
    sentences: list[SentenceView]
    sentence_vectors: Vectors
    claims: list[ClaimView]
    claim_vectors: Vectors


@dataclass(frozen=True)
class Link:
    """What the evidence article says about one claim."""

    claim_article: str
    claim_index: int
    evidence_article: str
    evidence_origin: str
    evidence_source: str
    sentence_index: int
    judgement: Judgement
    text: str
    start: int
    end: int

    def span(self) -> tuple[int, int]:
        """The deciding part of the evidence, as offsets into the evidence article."""
        return (
            self.start + self.judgement.evidence_start,
            self.start + min(self.judgement.evidence_end, self.end - self.start),
        )


_RANK = {Relation.CONTRADICTS: 2, Relation.SUPPORTS: 1, Relation.SILENT: 0}
_ANAPHORS = frozenset({"he", "she", "they", "it", "this", "that", "these", "those", "his", "her"})


def evidence_window(side: Side, index: int) -> tuple[str, int, int]:
    """The evidence text for a retrieved sentence, and its span in the article.

    A sentence that opens with a pronoun ("He said the drones…") is read together with the
    sentence before it, which names whom it is about: a window of one or two sentences.
    """
    sentence = side.sentences[index]
    start = sentence.start
    first = sentence.text.split(maxsplit=1)[0].lower().strip("\"'“‘") if sentence.text else ""
    if index > 0 and first in _ANAPHORS:
        start = side.sentences[index - 1].start
    return side.text[start : sentence.end], start, sentence.end


def _claims_against(
    claimant: Side,
    evidence: Sequence[Side],
    index: SentenceIndex,
    judge: Judge,
    per_article: int,
) -> list[Link]:
    """Links from the claimant's claims to the evidence articles (indexed in that order)."""
    hits = index.search(claimant.claim_vectors, per_article)
    pairs: list[tuple[str, str]] = []
    meta: list[tuple[int, int, int, float]] = []
    for c, claim_hits in enumerate(hits):
        for hit in claim_hits:
            window, _start, _end = evidence_window(evidence[hit.article], hit.sentence)
            pairs.append((claimant.claims[c].text, window))
            meta.append((c, hit.article, hit.sentence, hit.score))
    judgements = judge.judge(
        pairs,
        similarities=[m[3] for m in meta],
        attributions=[claimant.claims[m[0]].attribution for m in meta],
    )
    best: dict[tuple[int, int], Link] = {}
    for (c, a, s, _score), judgement in zip(meta, judgements, strict=True):
        if judgement.relation is Relation.SILENT:
            continue
        other = evidence[a]
        window, start, end = evidence_window(other, s)
        link = Link(
            claimant.key,
            c,
            other.key,
            other.origin,
            other.source,
            s,
            judgement,
            window,
            start,
            end,
        )
        current = best.get((c, a))
        if current is None or (_RANK[judgement.relation], judgement.probability) > (
            _RANK[current.judgement.relation],
            current.judgement.probability,
        ):
            best[(c, a)] = link
    return list(best.values())


def match(new: Side, others: Sequence[Side], judge: Judge, per_article: int) -> list[Link]:
    """Links between a new article and the story's other origins, in both directions.

    The new article's claims are judged against the other origins' sentences, and the older
    articles' claims against the new article's sentences. Articles of the new article's own
    origin are skipped: copies of one report never corroborate each other.
    """
    independent = [o for o in others if o.origin != new.origin]
    if not independent:
        return []
    forward = SentenceIndex([o.sentence_vectors for o in independent])
    links = _claims_against(new, independent, forward, judge, per_article)
    # One index of the new article serves every older article's claims.
    backward = SentenceIndex([new.sentence_vectors])
    for other in independent:
        if other.claims:
            links.extend(_claims_against(other, [new], backward, judge, per_article))
    return links


def verdict(links: Iterable[Link | tuple[str, Relation]]) -> tuple[Verdict, int, int]:
    """Verdict of a claim from its links, with counts of supporting and contradicting origins.

    Contested if any origin contradicts it, else corroborated if another origin supports it,
    else single-source.
    """
    support: set[str] = set()
    contra: set[str] = set()
    for link in links:
        origin, relation = (
            (link.evidence_origin, link.judgement.relation) if isinstance(link, Link) else link
        )
        if relation is Relation.CONTRADICTS:
            contra.add(origin)
        elif relation is Relation.SUPPORTS:
            support.add(origin)
    support -= contra
    if contra:
        return Verdict.CONTESTED, len(support), len(contra)
    if support:
        return Verdict.CORROBORATED, len(support), 0
    return Verdict.SINGLE_SOURCE, 0, 0


def connected_groups(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Groups of nodes joined by edges (union-find), in node order; singletons dropped."""
    parent = {n: n for n in nodes}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in edges:
        if a in parent and b in parent:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[rb] = ra
    groups: dict[str, list[str]] = {}
    for n in nodes:
        groups.setdefault(find(n), []).append(n)
    return [g for g in groups.values() if len(g) > 1]


def fact_edges(
    mentions: Iterable[tuple[str, str, int]],
    claims_of_sentence: Mapping[tuple[str, int], Sequence[tuple[str, Vectors]]],
    claim_vector: Mapping[str, Vectors],
) -> list[tuple[str, str]]:
    """Edges between claims that tell the same fact in two outlets.

    Args:
        mentions: (claim id, evidence article, evidence sentence index) of each link.
        claims_of_sentence: The claims cut from each (article, sentence), with their vectors.
        claim_vector: The vector of each claim.

    Returns:
        (claim id, id of the evidence sentence's claim nearest to it) pairs.
    """
    edges = []
    for mine, article, sentence in mentions:
        theirs = claims_of_sentence.get((article, sentence), [])
        if mine not in claim_vector or not theirs:
            continue
        best = max(theirs, key=lambda item: float(item[1] @ claim_vector[mine]))
        edges.append((mine, best[0]))
    return edges

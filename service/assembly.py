"""The story assembler: claims and their links in, verdicts, evidence order and fact groups out.

One implementation for every view of a story: the stateless compare report, the stored story
and the verdicts written at ingest all read it. Independence is by outlet and by origin:
evidence from the claim's own outlet (a source sharing a key of `stories.outlet_keys`) or
from a copy of the claim's own report (the same origin) is shown, marked as not independent,
but never corroborates or contests. Only a *decisive* contradiction (a typed comparison the
verdict benchmark showed precise, see `models.cues`) contests a claim.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from models.cues import decisive
from models.embedder import Vectors
from models.labels import Reason, Relation, Verdict

VERDICT_ORDER = {Verdict.CONTESTED: 2, Verdict.CORROBORATED: 1, Verdict.SINGLE_SOURCE: 0}


@dataclass(frozen=True)
class ClaimNode:
    """A claim as the assembler sees it."""

    id: str
    article: str
    origin: str
    outlet: frozenset[str]
    sentence: int
    vector: Vectors


@dataclass(frozen=True)
class EvidenceEdge:
    """One piece of evidence about a claim: what another article's sentence says of it."""

    claim: str
    article: str
    origin: str
    outlet: frozenset[str]
    sentence: int
    relation: Relation
    reason: Reason
    score: float


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim's verdict, the origins behind it, and its evidence in reading order."""

    verdict: Verdict
    supporting_origins: int
    contradicting_origins: int
    evidence: list[int]
    """Indices into the assembled edges: decisive contradictions, supports, the rest."""
    independent: list[bool]
    """For each of `evidence`: whether it comes from another outlet and another origin."""


@dataclass
class Assembly:
    """A story assembled: per claim its verdict and evidence, and the claims of one fact."""

    claims: dict[str, ClaimVerdict] = field(default_factory=dict)
    groups: list[list[str]] = field(default_factory=list)

    def tally(self) -> Counter[Verdict]:
        """Claims by verdict."""
        return Counter(c.verdict for c in self.claims.values())


def independent(claim: ClaimNode, edge: EvidenceEdge) -> bool:
    """Whether evidence can speak for another outlet: another origin and no outlet key in
    common with the claim's."""
    return edge.origin != claim.origin and not (claim.outlet & edge.outlet)


class Judged(Protocol):
    """Anything that carries a relation and its reason: an edge, or evidence as answered."""

    @property
    def relation(self) -> Relation: ...

    @property
    def reason(self) -> Reason: ...


def contests(edge: Judged) -> bool:
    """Whether a piece of evidence contests the claim it is about (when independent)."""
    return edge.relation is Relation.CONTRADICTS and decisive(edge.reason)


def stance(claim: ClaimNode, edge: EvidenceEdge) -> Relation | None:
    """What one piece of evidence says of a claim between two outlets, as verdicts count it:
    SUPPORTS or CONTRADICTS (a contradiction that contests) when it is independent, else None
    (silent, too weak to contest, or from the claim's own outlet or origin)."""
    if not independent(claim, edge):
        return None
    if contests(edge):
        return Relation.CONTRADICTS
    return Relation.SUPPORTS if edge.relation is Relation.SUPPORTS else None


def judge_claim(claim: ClaimNode, edges: Iterable[tuple[int, EvidenceEdge]]) -> ClaimVerdict:
    """The verdict of one claim from its evidence.

    Contested if an independent origin contradicts it decisively, else corroborated if an
    independent origin supports it, else single-source.
    """
    items = list(edges)
    support = {
        e.origin for _, e in items if e.relation is Relation.SUPPORTS and independent(claim, e)
    }
    contra = {e.origin for _, e in items if contests(e) and independent(claim, e)}
    support -= contra
    if contra:
        result = Verdict.CONTESTED
    elif support:
        result = Verdict.CORROBORATED
    else:
        result = Verdict.SINGLE_SOURCE

    def order(item: tuple[int, EvidenceEdge]) -> tuple[int, int, float]:
        _i, e = item
        rank = 0 if contests(e) else 1 if e.relation is Relation.SUPPORTS else 2
        return (0 if independent(claim, e) else 1, rank, -e.score)

    ordered = sorted(items, key=order)
    return ClaimVerdict(
        result,
        len(support),
        len(contra),
        [i for i, _ in ordered],
        [independent(claim, e) for _, e in ordered],
    )


def assemble(claims: Sequence[ClaimNode], edges: Sequence[EvidenceEdge]) -> Assembly:
    """Verdicts, evidence order and fact groups of a story's claims."""
    by_claim: dict[str, list[tuple[int, EvidenceEdge]]] = {c.id: [] for c in claims}
    for i, edge in enumerate(edges):
        if edge.claim in by_claim:
            by_claim[edge.claim].append((i, edge))
    assembly = Assembly()
    for claim in claims:
        assembly.claims[claim.id] = judge_claim(claim, by_claim[claim.id])
    assembly.groups = fact_groups(claims, edges)
    return assembly


def fact_groups(claims: Sequence[ClaimNode], edges: Sequence[EvidenceEdge]) -> list[list[str]]:
    """Claims that tell one fact in several outlets: a claim joins the claim of the evidence
    sentence nearest to it, over every independent support or decisive contradiction."""
    node = {c.id: c for c in claims}
    per_sentence: dict[tuple[str, int], list[ClaimNode]] = {}
    for c in claims:
        per_sentence.setdefault((c.article, c.sentence), []).append(c)
    pairs = []
    for edge in edges:
        mine = node.get(edge.claim)
        theirs = per_sentence.get((edge.article, edge.sentence), [])
        if mine is None or not theirs or not independent(mine, edge):
            continue
        if edge.relation is Relation.SUPPORTS or contests(edge):
            best = max(theirs, key=lambda c: float(np.dot(c.vector, mine.vector)))
            pairs.append((mine.id, best.id))
    return connected_groups([c.id for c in claims], pairs)


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


def group_verdict(verdicts: Mapping[str, ClaimVerdict], members: Sequence[str]) -> Verdict:
    """A fact's verdict across its tellings: contested if any is, and so on."""
    return max((verdicts[m].verdict for m in members), key=VERDICT_ORDER.__getitem__)

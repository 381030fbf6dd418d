"""Matching: claims of one article against the text of the story's other origins, both ways.

Verdicts are not decided here: `service.assembly` reads the links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from models.claims import Attribution
from models.cues import age_explained_by_time
from models.embedder import Vectors
from models.judge import Judge, Judgement
from models.labels import Reason, Relation
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
    """The claim as compared: its `Claim.reads` where it has one, else as written."""
    sentence_index: int
    attribution: Attribution | None


@dataclass
class Side:
    """One article as the matcher sees it (stored or in a compare request)."""

    key: str
    origin: str
    source: str
    outlet: frozenset[str]
    text: str
    sentences: list[SentenceView]
    sentence_vectors: Vectors
    claims: list[ClaimView]
    claim_vectors: Vectors
    published: datetime | None = None


@dataclass(frozen=True)
class Link:
    """What the evidence article says about one claim."""

    claim_article: str
    claim_index: int
    evidence_article: str
    evidence_origin: str
    evidence_source: str
    evidence_outlet: frozenset[str]
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


def _rank(judgement: Judgement) -> tuple[int, float]:
    """Which of two judgements of one claim against one article to keep: a decisive
    contradiction, then a support, then a contradiction only shown, then silence."""
    relation = judgement.relation
    if relation is Relation.CONTRADICTS:
        return (3 if judgement.decisive else 1, judgement.probability)
    return (2 if relation is Relation.SUPPORTS else 0, judgement.probability)


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


def _in_time(judgement: Judgement, claimant: Side, evidence: Side) -> Judgement:
    """An age told months apart may differ by the birthdays between: no contradiction then."""
    if (
        judgement.reason is not Reason.AGE_MISMATCH
        or judgement.values is None
        or claimant.published is None
        or evidence.published is None
    ):
        return judgement
    days = (evidence.published - claimant.published).total_seconds() / 86400
    if not age_explained_by_time(judgement.values, days):
        return judgement
    return replace(
        judgement,
        relation=Relation.SILENT,
        reason=Reason.NOT_ADDRESSED,
        decisive=False,
        explanation=judgement.explanation + f"; the texts are {abs(days):.0f} days apart",
    )


def _claims_by_sentence(side: Side) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for k, claim in enumerate(side.claims):
        found.setdefault(claim.sentence_index, []).append(k)
    return found


@dataclass
class _Job:
    """The claims of one article against the sentences of some others, while being judged."""

    claimant: Side
    evidence: Sequence[Side]
    pairs: list[tuple[str, str]]
    meta: list[tuple[int, int, int, float]]
    """(claim, evidence article, sentence, similarity) of each pair."""
    judgements: list[Judgement]


def _judge_all(judge: Judge, jobs: Sequence[_Job], start: Sequence[int]) -> None:
    """Judge the pairs of every job from its `start` on, in one call of the judge: one call
    fills the model's batches, where one call per article would run many small ones."""
    pairs: list[tuple[str, str]] = []
    sims: list[float] = []
    attributions: list[Attribution | None] = []
    for job, first in zip(jobs, start, strict=True):
        pairs.extend(job.pairs[first:])
        sims.extend(m[3] for m in job.meta[first:])
        attributions.extend(job.claimant.claims[m[0]].attribution for m in job.meta[first:])
    judged = iter(judge.judge(pairs, similarities=sims, attributions=attributions))
    for job, first in zip(jobs, start, strict=True):
        job.judgements.extend(next(judged) for _ in range(len(job.pairs) - first))


def _claims_against(
    searches: Sequence[tuple[Side, Sequence[Side], SentenceIndex]],
    judge: Judge,
    per_article: int,
) -> list[Link]:
    """Links from each claimant's claims to its evidence articles (indexed in that order).

    Each retrieved sentence is judged as written; where it says nothing of the claim, every
    claim cut from it is judged too: a long sentence that states the fact among others
    ("…the relatively weak hand of Suleimani's replacement as leader of the Quds Force, Ismail
    Ghani, who…") is judged by the fact it states. The link shows the sentence either way.
    The pairs of all the searches are judged together, first the sentences, then the claims
    cut from those that said nothing.
    """
    jobs: list[_Job] = []
    for claimant, evidence, index in searches:
        hits = index.search(claimant.claim_vectors, per_article)
        job = _Job(claimant, evidence, [], [], [])
        for c, claim_hits in enumerate(hits):
            for hit in claim_hits:
                window, _start, _end = evidence_window(evidence[hit.article], hit.sentence)
                job.pairs.append((claimant.claims[c].text, window))
                job.meta.append((c, hit.article, hit.sentence, hit.score))
        jobs.append(job)
    _judge_all(judge, jobs, [0] * len(jobs))
    # Second pass, only where the sentence as written said nothing: the claims cut from it.
    firsts = [len(job.pairs) for job in jobs]
    for job, first in zip(jobs, firsts, strict=True):
        claimant, evidence = job.claimant, job.evidence
        cut = [_claims_by_sentence(side) for side in evidence]
        judged = zip(job.meta[:first], job.judgements, strict=True)
        for (c, a, s, _score), judgement in judged:
            if judgement.relation is not Relation.SILENT:
                continue
            other = evidence[a]
            for k in cut[a].get(s, []):
                if other.claims[k].text.strip() == other.sentences[s].text.strip():
                    continue
                job.pairs.append((claimant.claims[c].text, other.claims[k].text))
                score = float(np.dot(claimant.claim_vectors[c], other.claim_vectors[k]))
                job.meta.append((c, a, s, score))
    _judge_all(judge, jobs, firsts)
    return [link for job in jobs for link in _links(job)]


def _links(job: _Job) -> list[Link]:
    """The best link of each claim to each evidence article, from the judged pairs."""
    claimant, evidence, pairs, meta = job.claimant, job.evidence, job.pairs, job.meta
    # A sentence that contradicts the claim as written does not support it through one of the
    # claims cut from it ("Tehran denied the visit, which Reuters later confirmed").
    clashing = {
        (c, a, s)
        for (c, a, s, _score), judgement in zip(meta, job.judgements, strict=True)
        if judgement.relation is Relation.CONTRADICTS
    }
    judgements = [
        _in_time(j, claimant, evidence[m[1]]) for m, j in zip(meta, job.judgements, strict=True)
    ]
    best: dict[tuple[int, int], Link] = {}
    for n, ((c, a, s, _score), judgement) in enumerate(zip(meta, judgements, strict=True)):
        if judgement.relation is Relation.SILENT:
            continue
        if judgement.relation is Relation.SUPPORTS and (c, a, s) in clashing:
            continue
        other = evidence[a]
        window, start, end = evidence_window(other, s)
        if pairs[n][1] != window:
            # Judged on a claim cut from the sentence: the deciding words are the sentence's.
            judgement = replace(judgement, evidence_start=0, evidence_end=len(window))
        link = Link(
            claimant.key,
            c,
            other.key,
            other.origin,
            other.source,
            other.outlet,
            s,
            judgement,
            window,
            start,
            end,
        )
        current = best.get((c, a))
        if current is None or _rank(judgement) > _rank(current.judgement):
            best[(c, a)] = link
    return list(best.values())


def match(new: Side, others: Sequence[Side], judge: Judge, per_article: int) -> list[Link]:
    """Links between a new article and the story's other origins, in both directions.

    The new article's claims are judged against the other origins' sentences, and the older
    articles' claims against the new article's sentences. Articles of the new article's own
    origin are skipped: copies of one report never corroborate each other. Where a claim is
    supported by a sentence that holds a claim of the other article, that claim is judged
    against the first claim's sentence as well (`_reciprocate`), so that a fact told by two
    outlets is found from both sides even when retrieval missed one direction.
    """
    independent = [o for o in others if o.origin != new.origin]
    if not independent:
        return []
    forward = SentenceIndex([o.sentence_vectors for o in independent])
    # One index of the new article serves every older article's claims.
    backward = SentenceIndex([new.sentence_vectors])
    searches = [(new, independent, forward)]
    searches += [(other, [new], backward) for other in independent if other.claims]
    links = _claims_against(searches, judge, per_article)
    return _reciprocate(links, {s.key: s for s in [new, *independent]}, judge)


def _reciprocate(links: list[Link], sides: dict[str, Side], judge: Judge) -> list[Link]:
    """Add the reverse judgement of every support between two claims, where it is missing."""
    best = {(link.claim_article, link.claim_index, link.evidence_article): link for link in links}
    todo: list[tuple[Side, int, Side, int]] = []
    for link in links:
        if link.judgement.relation is not Relation.SUPPORTS:
            continue
        claimant, other = sides[link.claim_article], sides[link.evidence_article]
        sentence = claimant.claims[link.claim_index].sentence_index
        for index, claim in enumerate(other.claims):
            if claim.sentence_index != link.sentence_index:
                continue
            current = best.get((other.key, index, claimant.key))
            if current is None or current.judgement.relation is Relation.SILENT:
                todo.append((other, index, claimant, sentence))
    if not todo:
        return links
    todo = list({(a.key, i, b.key, s): (a, i, b, s) for a, i, b, s in todo}.values())
    pairs, sims = [], []
    for side, index, evidence, sentence in todo:
        window, _start, _end = evidence_window(evidence, sentence)
        pairs.append((side.claims[index].text, window))
        sims.append(float(np.dot(side.claim_vectors[index], evidence.sentence_vectors[sentence])))
    judgements = judge.judge(
        pairs, similarities=sims, attributions=[a.claims[i].attribution for a, i, _b, _s in todo]
    )
    for (side, index, evidence, sentence), judgement in zip(todo, judgements, strict=True):
        judgement = _in_time(judgement, side, evidence)
        if judgement.relation is Relation.SILENT:
            continue
        window, start, end = evidence_window(evidence, sentence)
        link = Link(
            side.key,
            index,
            evidence.key,
            evidence.origin,
            evidence.source,
            evidence.outlet,
            sentence,
            judgement,
            window,
            start,
            end,
        )
        key = (side.key, index, evidence.key)
        current = best.get(key)
        if current is None or _rank(judgement) > _rank(current.judgement):
            best[key] = link
    return list(best.values())

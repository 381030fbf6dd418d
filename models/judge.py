"""The relation judge: does another outlet's text support a claim, contradict it, or say nothing?

One typed entry point, `Judge.judge`, takes (claim, evidence) pairs. Similarity decides which
pairs are about the same fact; the trained NLI cross-encoder (when installed) gives the
probabilities of entailment, neutrality and contradiction; the cue detectors then correct it
with reasons a person can read — a differing number for the same counted thing is a
contradiction even when the model says entailment, and a transliterated name is not a
different actor.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

from models.claims import Attribution, attribution_of
from models.cues import Cue, find_cue, timeline_step
from models.labels import Reason, Relation
from models.mentions import dates, name_key, quantities, same_actor, text_of
from models.values import ages

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from models.embedder import Embedder
    from models.nli import NLIModel

_CONTENT_POS = {"NOUN", "PROPN", "NUM", "VERB", "ADJ"}
_APOSTROPHE = re.compile(r"(?<=\w)[’‘](?=\w|\s|$)")


@dataclass(frozen=True)
class JudgeThresholds:
    """Decision thresholds of the judge (defaults chosen on the verdict benchmark's dev split)."""

    unrelated: float = 0.35
    """Below this cosine similarity the evidence is about something else."""
    cue_gate: float = 0.55
    """Comparisons of counts, times, dates, places and polarity apply only to pairs at least
    this similar (the same fact)."""
    actor_gate: float = 0.8
    """A different actor is shown only in a pair this similar: two people can both do the same
    kind of thing (a governor and a mayor both declare emergencies)."""
    model_gate: float = 0.45
    """The NLI model is asked only about pairs at least this similar."""
    coverage: float = 0.5
    """Share of the claim's key words (names by their transliteration key) that aligns a pair
    below the cue gate."""
    entailment: float = 0.3
    """Least NLI entailment probability for `supports`."""
    contradiction: float = 0.6
    """Least NLI contradiction probability to show the model's contradiction as evidence."""
    nli_contradiction_gate: float = 0.85
    """The model's contradiction is shown only for pairs at least this similar."""
    nli_anchor: float = 0.5
    """Share of the claim's key words the evidence must hold for the model's entailment to
    count."""
    nli_close: float = 0.5
    """Without a name in common, the model's entailment counts from this similarity on."""
    restated: float = 0.9
    """Share of the claim's key words above which the evidence restates it, or of the
    evidence's key words above which it only says less (the model's contradiction is not
    shown)."""
    values_support: float = 0.7
    """Least similarity for typed values that all agree to support a claim without the
    model's entailment."""
    values_entailment: float = 0.1
    """Least model entailment for a support by agreeing values: not against the model's no."""


THRESHOLD_NAMES = frozenset(f.name for f in fields(JudgeThresholds))


@dataclass(frozen=True)
class _Pair:
    """What the judge reads off a parsed pair before (and without) the model."""

    similarity: float
    covered: float
    contained: float
    """Share of the evidence's key words that the claim holds (1.0: it only says less)."""
    shares_name: bool
    numbers_stated: bool
    """Every counted number of the claim is in the evidence (read only where the claim's key
    words are anchored or restated, `_inspect`; False elsewhere)."""
    values: bool
    """The claim states typed values (counts, ages, dates) and the evidence gives every one
    of them the same value (read only from the `values_support` similarity on; False
    below)."""
    cue: Cue | None
    length: int


@dataclass(frozen=True)
class Judgement:
    """The relation of an evidence text to a claim, and why."""

    relation: Relation
    probability: float
    reason: Reason
    explanation: str
    evidence_start: int
    evidence_end: int
    decisive: bool = False
    """For a contradiction: whether it contests the claim (a decisive typed comparison), or is
    only shown as evidence."""
    values: tuple[float, float] | None = None
    """The values a typed comparison found different (the claim's, the evidence's)."""


def _content_keys(doc: Doc) -> set[str]:
    keys = set()
    for token in doc:
        if token.pos_ not in _CONTENT_POS or token.is_stop or not token.text.strip():
            continue
        lemma = token.lemma_.lower()
        key = name_key(token.text) if token.pos_ == "PROPN" else lemma
        if len(key) >= 3:
            keys.add(("name:" if token.pos_ == "PROPN" else "") + key)
    return keys


def _values_agree(claim: Doc, evidence: Doc) -> bool:
    """Whether the claim states typed values (counted numbers, ages, dates) and the evidence
    gives each the same value for the same thing; never across a step of a running tally
    ("Earlier, officials reported two victims were in serious condition")."""
    if timeline_step(text_of(claim)) or timeline_step(text_of(evidence)):
        return False
    mine_q = [q for q in quantities(claim[:]) if q.counts and q.exact]
    theirs_q = {(q.value, q.counts) for q in quantities(evidence[:])}
    mine_a = ages(claim[:])
    theirs_a = {(a.keys, a.value) for a in ages(evidence[:])}
    mine_d = [d for d in dates(claim[:]) if d.weekdays or d.month_days]
    theirs_d = dates(evidence[:])
    if not (mine_q or mine_a or mine_d):
        return False
    return (
        all((q.value, q.counts) in theirs_q for q in mine_q)
        and all((a.keys, a.value) in theirs_a for a in mine_a)
        and all(
            any((d.weekdays & o.weekdays) or (d.month_days & o.month_days) for o in theirs_d)
            for d in mine_d
        )
    )


def _numbers_stated(claim: Doc, evidence: Doc) -> bool:
    """Whether every counted number of the claim appears, with the same value, in the evidence.

    The value, not the noun: outlets name one count differently ("five people" / "five
    victims", "11 shots" / "11 rounds"), and the model and the anchor decide whether the two
    texts speak of one thing. A count of another value keeps the model's entailment from
    supporting the claim; whether two counts *clash* is `cues.number_mismatch`'s question, which
    does compare the nouns."""
    theirs = {q.value for q in quantities(evidence[:])}
    return all(q.value in theirs for q in quantities(claim[:]) if q.counts)


class Judge:
    """Decides `supports` / `contradicts` / `silent` for claim and evidence pairs."""

    def __init__(
        self,
        nlp: Language,
        embedder: Embedder,
        nli: NLIModel | None = None,
        thresholds: JudgeThresholds | None = None,
        cache_size: int = 4096,
        overrides: Mapping[str, float] | None = None,
    ) -> None:
        self.nlp = nlp
        self.embedder = embedder
        self.nli = nli
        # The judge's own thresholds were chosen on the verdict benchmark's dev pairs with the
        # shipped model; the model's thresholds.json serves plain NLI (bench-quality).
        thresholds = thresholds or JudgeThresholds()
        self.thresholds = replace(thresholds, **dict(overrides or {}))
        self._cache: OrderedDict[str, Doc] = OrderedDict()
        # Content keys of each cached parse, computed once: many pairs share a claim.
        self._keys: dict[int, set[str]] = {}
        self._cache_size = cache_size

    def _parse(self, texts: Sequence[str]) -> list[Doc]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        for text, doc in zip(
            missing, self.nlp.pipe([_APOSTROPHE.sub("'", t) for t in missing]), strict=True
        ):
            self._cache[text] = doc
        docs = []
        for text in texts:
            self._cache.move_to_end(text)
            docs.append(self._cache[text])
        while len(self._cache) > self._cache_size:
            _text, old = self._cache.popitem(last=False)
            self._keys.pop(id(old), None)
        return docs

    def _content_keys(self, doc: Doc) -> set[str]:
        keys = self._keys.get(id(doc))
        if keys is None:
            keys = self._keys[id(doc)] = _content_keys(doc)
        return keys

    def judge(
        self,
        pairs: Sequence[tuple[str, str]],
        similarities: Sequence[float] | None = None,
        attributions: Sequence[Attribution | None] | None = None,
    ) -> list[Judgement]:
        """Judge (claim, evidence) pairs.

        Args:
            pairs: Claim text and the other outlet's evidence text (one to three sentences).
            similarities: Cosine similarity of each pair's embeddings, if already known.
            attributions: Whom the claim's own outlet credits it to, if anyone; an explanation
                notes when the evidence credits the same fact to someone else.

        Returns:
            One judgement per pair, in order; evidence offsets are into the evidence text.
        """
        if not pairs:
            return []
        claims = [c for c, _ in pairs]
        evidence = [e for _, e in pairs]
        if similarities is None:
            a, b = self.embedder.encode(claims), self.embedder.encode(evidence)
            sims = np.einsum("ij,ij->i", a, b).tolist()
        else:
            sims = list(similarities)
        candidate = [i for i, s in enumerate(sims) if s >= self.thresholds.unrelated]
        docs_c = self._parse([claims[i] for i in candidate])
        docs_e = self._parse([evidence[i] for i in candidate])
        inspected = {
            i: self._inspect(docs_c[k], docs_e[k], sims[i]) for k, i in enumerate(candidate)
        }
        # The model runs only where its answer can change the relation: no decisive
        # comparison settled the pair, and the texts are close enough to be one fact.
        asked = [i for i in candidate if self._needs_model(inspected[i])]
        probs: dict[int, np.ndarray] = {}
        if self.nli is not None and asked:
            predicted = self.nli.predict([(evidence[i], claims[i]) for i in asked])
            probs = {i: predicted[k] for k, i in enumerate(asked)}
        parsed = {i: (docs_c[k], docs_e[k]) for k, i in enumerate(candidate)}
        results = []
        for i, (_claim, text) in enumerate(pairs):
            if i not in parsed:
                results.append(
                    Judgement(
                        Relation.SILENT,
                        float(1.0 - max(sims[i], 0.0)),
                        Reason.UNRELATED,
                        f"about something else (similarity {sims[i]:.2f})",
                        0,
                        len(text),
                    )
                )
                continue
            _claim_doc, evidence_doc = parsed[i]
            judgement = self._decide(inspected[i], probs.get(i))
            if attributions is not None and judgement.relation is not Relation.SILENT:
                judgement = self._note_attribution(judgement, attributions[i], evidence_doc)
            results.append(judgement)
        return results

    def _inspect(self, claim: Doc, evidence: Doc, similarity: float) -> _Pair:
        th = self.thresholds
        keys = self._content_keys(claim)
        theirs = self._content_keys(evidence)
        shared = keys & theirs
        covered = len(shared) / len(keys) if keys else 0.0
        # Below the cue gate, a pair whose key words are mostly shared is still one fact: each
        # comparison is then run as if the pair had reached its gate.
        aligned = similarity >= th.cue_gate or covered >= th.coverage
        cue = find_cue(
            claim,
            evidence,
            max(similarity, th.cue_gate) if aligned else similarity,
            gates=lambda name: float(getattr(th, name)),
        )
        return _Pair(
            similarity=similarity,
            covered=covered,
            contained=len(shared) / len(theirs) if theirs else 0.0,
            # A named actor or place in common anchors the two texts to the same fact.
            shares_name=any(k.startswith("name:") for k in shared),
            # Each of these is read only past a gate (`_anchored`, `_restated`, the values
            # support); below it, reading the values of every candidate pair is wasted work.
            numbers_stated=(
                covered >= min(th.nli_anchor, th.restated) and _numbers_stated(claim, evidence)
            ),
            values=similarity >= th.values_support and _values_agree(claim, evidence),
            cue=cue,
            length=len(text_of(evidence)),
        )

    def _anchored(self, pair: _Pair) -> bool:
        """Whether the two texts are tied to one fact: half the claim's key words, and a name
        in common or a close wording (the model's entailment counts only then)."""
        th = self.thresholds
        close = pair.shares_name or pair.similarity >= th.nli_close
        return close and pair.covered >= th.nli_anchor

    def _needs_model(self, pair: _Pair) -> bool:
        """Whether the model's answer can change this pair's relation (see `_decide`): only
        where no comparison found a difference, and the pair could become a support (anchored
        with its numbers stated, or agreeing values) or a shown contradiction (very close and
        not a restatement). Elsewhere the pair is silent whatever the model says, and asking
        it would be most of the cost of an ingest."""
        th = self.thresholds
        if pair.cue is not None or pair.similarity < th.model_gate:
            return False
        could_entail = self._anchored(pair) and pair.numbers_stated
        could_agree = pair.values and pair.similarity >= th.values_support
        could_contradict = pair.similarity >= th.nli_contradiction_gate and not self._restated(pair)
        return could_entail or could_agree or could_contradict

    def _restated(self, pair: _Pair) -> bool:
        """Evidence that restates the claim, or only leaves part of it out ("taken to hospital
        at 3:10 a.m." against "… at 3:10 a.m. by ambulance"), does not contradict it."""
        th = self.thresholds
        return (pair.covered >= th.restated and pair.numbers_stated) or (
            pair.contained >= th.restated
        )

    def _decide(self, pair: _Pair, probs: np.ndarray | None) -> Judgement:
        th = self.thresholds
        similarity = pair.similarity
        whole = (0, pair.length)
        cue = pair.cue
        if cue is not None and cue.decisive:
            return Judgement(
                Relation.CONTRADICTS,
                round(0.5 + 0.5 * min(1.0, similarity), 4),
                cue.reason,
                cue.explanation,
                cue.evidence_start,
                cue.evidence_end,
                decisive=True,
                values=cue.values,
            )
        entail = contra = None
        if probs is not None:
            entail, _neutral, contra = (float(x) for x in probs)
        model = f", model entailment {entail:.2f}" if entail is not None else ""
        # A support needs agreement: the model's entailment on texts anchored to one fact, or
        # typed values that all agree — never shared words alone.
        if (
            cue is None
            and entail is not None
            and entail >= th.entailment
            and self._anchored(pair)
            and pair.numbers_stated
        ):
            return Judgement(
                Relation.SUPPORTS,
                round(entail, 4),
                Reason.NLI_ENTAILMENT,
                f"the other text states the claim (model {entail:.2f}, "
                f"similarity {similarity:.2f})",
                *whole,
            )
        if (
            cue is None
            and pair.values
            and similarity >= th.values_support
            and (entail is None or entail >= th.values_entailment)
        ):
            return Judgement(
                Relation.SUPPORTS,
                round(similarity, 4),
                Reason.VALUES_AGREE,
                f"states the same values (similarity {similarity:.2f}{model})",
                *whole,
            )
        if cue is not None:
            # A difference the bench did not show precise enough to contest: shown, low score.
            return Judgement(
                Relation.CONTRADICTS,
                round(0.5 * similarity, 4),
                cue.reason,
                cue.explanation + " (shown as evidence; not enough to contest the claim)",
                cue.evidence_start,
                cue.evidence_end,
            )
        if (
            contra is not None
            and contra >= th.contradiction
            and similarity >= th.nli_contradiction_gate
            and not self._restated(pair)
        ):
            return Judgement(
                Relation.CONTRADICTS,
                round(0.5 * contra, 4),
                Reason.NLI_CONTRADICTION,
                f"the model reads a contradiction ({contra:.2f}, similarity {similarity:.2f}) "
                "that no typed comparison explains: shown as evidence, not enough to contest",
                *whole,
            )
        return Judgement(
            Relation.SILENT,
            round(1.0 - similarity, 4),
            Reason.NOT_ADDRESSED,
            f"related but does not state the claim (similarity {similarity:.2f}{model})",
            *whole,
        )

    def _note_attribution(
        self, judgement: Judgement, mine: Attribution | None, evidence: Doc
    ) -> Judgement:
        theirs: Attribution | None = None
        for sent in evidence.sents:
            _clause, theirs = attribution_of(sent)
            if theirs is not None:
                break
        if mine is None or theirs is None or same_actor(mine.source, theirs.source):
            return judgement
        note = f"; attributed to '{mine.source}' here but to '{theirs.source}' there"
        return replace(judgement, explanation=judgement.explanation + note)

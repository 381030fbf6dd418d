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
from models.cues import Cue, find_cue
from models.labels import Reason, Relation
from models.mentions import name_key, quantities, same_actor

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

    from models.embedder import Embedder
    from models.nli import NLIModel

_CONTENT_POS = {"NOUN", "PROPN", "NUM", "VERB", "ADJ"}
# Words news outlets use interchangeably for one thing; coverage counts them as one key.
_SYNONYMS = {
    "residence": "home",
    "house": "home",
    "premier": "prime minister",
    "pm": "prime minister",
    "strike": "attack",
    "assault": "attack",
    "kill": "death",
    "die": "death",
    "vote": "election",
    "poll": "election",
    "chief": "leader",
    "head": "leader",
    "commander": "leader",
    "troop": "force",
    "soldier": "force",
}
_APOSTROPHE = re.compile(r"(?<=\w)[’‘](?=\w|\s|$)")


@dataclass(frozen=True)
class JudgeThresholds:
    """Decision thresholds of the judge (defaults chosen on the development pairs)."""

    unrelated: float = 0.35
    """Below this cosine similarity the evidence is about something else."""
    cue_gate: float = 0.55
    """Cue detectors apply only to pairs at least this similar (the same fact)."""
    actor_gate: float = 0.8
    """A different actor contests a claim only in a pair this similar: two people can both do
    the same kind of thing (a governor and a mayor both declare emergencies)."""
    support: float = 0.78
    """Without NLI, a pair at least this similar supports the claim."""
    support_overlap: float = 0.45
    """Without NLI, a pair this similar supports when it also covers the claim's key words."""
    coverage: float = 0.5
    """Share of the claim's content words (names by their transliteration key) to cover."""
    entailment: float = 0.5
    """Least NLI entailment probability for `supports`."""
    contradiction: float = 0.6
    """Least NLI contradiction probability for `contradicts` without a cue."""
    nli_contradiction_gate: float = 0.85
    """A contradiction without a cue needs the two texts at least this similar: on news pairs
    the model reads many paraphrases with other wording as contradictions."""
    nli_anchor: float = 0.5
    """Share of the claim's key words the evidence must hold for the model's entailment to
    count."""
    nli_close: float = 0.7
    """Without a name in common, the model's entailment counts from this similarity on."""
    restated: float = 0.9
    """Share of the claim's key words above which the evidence restates it (no contradiction
    without a cue)."""


THRESHOLD_NAMES = frozenset(f.name for f in fields(JudgeThresholds))


@dataclass(frozen=True)
class _Pair:
    """What the judge reads off a parsed pair before (and without) the model."""

    similarity: float
    covered: float
    shares_name: bool
    numbers_stated: bool
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


def _content_keys(doc: Doc) -> set[str]:
    keys = set()
    for token in doc:
        if token.pos_ not in _CONTENT_POS or token.is_stop or not token.text.strip():
            continue
        lemma = token.lemma_.lower()
        key = name_key(token.text) if token.pos_ == "PROPN" else _SYNONYMS.get(lemma, lemma)
        if len(key) >= 3:
            keys.add(("name:" if token.pos_ == "PROPN" else "") + key)
    return keys


def _numbers_stated(claim: Doc, evidence: Doc) -> bool:
    """Whether every counted number of the claim appears, same value and noun, in the evidence."""
    theirs = {(q.value, q.counts) for q in quantities(evidence[:])}
    return all((q.value, q.counts) in theirs for q in quantities(claim[:]) if q.counts)


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
        if thresholds is None:
            thresholds = JudgeThresholds()
            if nli is not None:
                # The model's own thresholds, chosen on its development pairs.
                thresholds = replace(
                    thresholds,
                    entailment=nli.thresholds.get("entailment", thresholds.entailment),
                    contradiction=nli.thresholds.get("contradiction", thresholds.contradiction),
                )
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
        # The model runs only where its answer can change the relation: no cue decided it,
        # and the texts are anchored to one fact or near-verbatim.
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
        shared = keys & self._content_keys(evidence)
        covered = len(shared) / len(keys) if keys else 0.0
        aligned = similarity >= th.cue_gate or (similarity >= th.unrelated and covered >= 0.5)
        cue: Cue | None = find_cue(claim, evidence) if aligned else None
        if cue is not None and cue.reason is Reason.ACTOR_MISMATCH and similarity < th.actor_gate:
            cue = None
        return _Pair(
            similarity=similarity,
            covered=covered,
            # A named actor or place in common anchors the two texts to the same fact.
            shares_name=any(k.startswith("name:") for k in shared),
            numbers_stated=_numbers_stated(claim, evidence),
            cue=cue,
            length=len(evidence.text),
        )

    def _anchored(self, pair: _Pair) -> bool:
        """Whether the two texts are tied to one fact: half the claim's key words, and a name
        in common or a close wording (the model's entailment counts only then)."""
        th = self.thresholds
        close = pair.shares_name or pair.similarity >= th.nli_close
        return close and pair.covered >= th.nli_anchor

    def _needs_model(self, pair: _Pair) -> bool:
        th = self.thresholds
        anchored = self._anchored(pair)
        return pair.cue is None and (anchored or pair.similarity >= th.nli_contradiction_gate)

    def _decide(self, pair: _Pair, probs: np.ndarray | None) -> Judgement:
        th = self.thresholds
        similarity, covered, shares_name = pair.similarity, pair.covered, pair.shares_name
        whole = (0, pair.length)
        cue = pair.cue
        if cue is not None:
            return Judgement(
                Relation.CONTRADICTS,
                round(0.5 + 0.5 * min(1.0, similarity), 4),
                cue.reason,
                cue.explanation,
                cue.evidence_start,
                cue.evidence_end,
            )
        entail = contra = None
        if probs is not None:
            entail, _neutral, contra = (float(x) for x in probs)
        paraphrase = (
            similarity >= th.support
            or (similarity >= th.support_overlap and covered >= th.coverage and shares_name)
        ) and pair.numbers_stated
        # A text that restates every content word and number of the claim, with no cue
        # between them, does not contradict it: the model's contradiction is vetoed there (it
        # over-reads a dropped date or a repeated sentence as a contradiction).
        restated = covered >= th.restated and pair.numbers_stated
        if (
            contra is not None
            and contra >= th.contradiction
            and similarity >= th.nli_contradiction_gate
            and not restated
        ):
            return Judgement(
                Relation.CONTRADICTS,
                round(contra, 4),
                Reason.NLI_CONTRADICTION,
                f"the other text contradicts the claim (model {contra:.2f}, "
                f"similarity {similarity:.2f})",
                *whole,
            )
        # The model's entailment counts only where the texts are anchored to one fact (shared
        # names or words); on news pairs it also "entails" a claim about another person.
        anchored = self._anchored(pair)
        if entail is not None and entail >= th.entailment and anchored:
            return Judgement(
                Relation.SUPPORTS,
                round(entail, 4),
                Reason.NLI_ENTAILMENT,
                f"the other text states the claim (model {entail:.2f}, "
                f"similarity {similarity:.2f})",
                *whole,
            )
        if paraphrase:
            model = f", model entailment {entail:.2f}" if entail is not None else ""
            return Judgement(
                Relation.SUPPORTS,
                round(similarity, 4),
                Reason.PARAPHRASE,
                f"says the same (similarity {similarity:.2f}, "
                f"{covered:.0%} of the claim's key words{model})",
                *whole,
            )
        model = f", model entailment {entail:.2f}" if entail is not None else ""
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
        return Judgement(
            judgement.relation,
            judgement.probability,
            judgement.reason,
            judgement.explanation + note,
            judgement.evidence_start,
            judgement.evidence_end,
        )

"""The shortcuts that make ingest cheaper give the answers of the long way round."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from spacy.tokens import Doc

from models.judge import Judge, _numbers_stated, _Pair, _values_agree
from models.mentions import quantities, text_of
from service.core import Crosscheck
from service.matching import Link, match
from service.pipeline import analyse, lead_text
from service.schemas import ArticleIn

pytestmark = pytest.mark.models


class AskingJudge(Judge):
    """The judge as it was: the model asked about every close pair without a decisive cue."""

    def _needs_model(self, pair: _Pair) -> bool:
        decided = pair.cue is not None and pair.cue.decisive
        return not decided and pair.similarity >= self.thresholds.model_gate


class ReadingJudge(Judge):
    """The judge as it was: the numbers and values of every candidate pair read."""

    def _inspect(self, claim: Doc, evidence: Doc, similarity: float) -> _Pair:
        pair = super()._inspect(claim, evidence, similarity)
        return replace(
            pair,
            numbers_stated=_numbers_stated(claim, evidence),
            values=_values_agree(claim, evidence),
        )


PAIRS = [
    ("Two drones were shot down over Baghdad.", "Three drones were shot down over Baghdad."),
    ("Two drones were shot down over Baghdad.", "Iraqi forces shot down two drones in Baghdad."),
    (
        "The prime minister was unhurt in the attack.",
        "The prime minister was not hurt in the drone attack on his residence.",
    ),
    ("Police said the gunman was 34.", "The gunman, 34, was arrested by police on Sunday."),
    ("The shooting happened on Sunday night.", "The shooting happened on Saturday night."),
    ("Six people were wounded at the party.", "Six people were wounded at a house party."),
    ("The mayor declared an emergency.", "Officers found the weapon in a nearby car."),
    (
        "Ismail Ghani leads the Quds Force.",
        "Ismail Qaani, the leader of the Quds Force, visited Baghdad.",
    ),
]


def test_model_asked_only_where_it_can_change_the_relation(core: Crosscheck) -> None:
    models = core.models
    fewer = models.judge
    every = AskingJudge(models.nlp, models.embedder, models.judge.nli)
    assert fewer.nli is not None, "the shipped NLI model should load in the tests"
    cheap = fewer.judge(PAIRS)
    full = every.judge(PAIRS)
    assert [j.relation for j in cheap] == [j.relation for j in full]
    assert [j.reason for j in cheap] == [j.reason for j in full]
    assert [j.decisive for j in cheap] == [j.decisive for j in full]
    # And the shortcut does skip pairs: some pair is asked the long way but not the short.
    sims = np.einsum(
        "ij,ij->i",
        models.embedder.encode([c for c, _ in PAIRS]),
        models.embedder.encode([e for _, e in PAIRS]),
    )
    docs = [(fewer._parse([c])[0], fewer._parse([e])[0]) for c, e in PAIRS]
    inspected = [fewer._inspect(c, e, float(s)) for (c, e), s in zip(docs, sims, strict=True)]
    asked_cheap = sum(fewer._needs_model(p) for p in inspected)
    asked_full = sum(every._needs_model(p) for p in inspected)
    assert asked_cheap < asked_full


def test_values_read_only_past_their_gates_change_nothing(core: Crosscheck) -> None:
    models = core.models
    lazy = models.judge
    reading = ReadingJudge(models.nlp, models.embedder, models.judge.nli)
    pairs = [
        *PAIRS,
        # Counts and dates in pairs too far apart for the values to count.
        ("Two men were shot on Friday.", "The mayor met two ministers on Friday in Rome."),
        ("Police found 12 shell casings.", "Twelve casings lay near the 3 cars on Elm Street."),
    ]
    fast, slow = lazy.judge(pairs), reading.judge(pairs)
    assert fast == slow
    docs = [(lazy._parse([c])[0], lazy._parse([e])[0]) for c, e in pairs]
    skipped = [lazy._inspect(c, e, 0.4).numbers_stated != _numbers_stated(c, e) for c, e in docs]
    assert any(skipped), "some pair's numbers should go unread below the anchor"


def test_a_parse_keeps_its_text(core: Crosscheck) -> None:
    doc = core.models.nlp("Two drones were shot down.  Three soldiers were hurt. ")
    assert text_of(doc) == doc.text
    assert text_of(doc[:]) == doc[:].text != doc.text  # a span drops the last space
    assert text_of(doc[0:2]) == "Two drones"
    assert ("text",) in doc.user_data["crosscheck"]


def test_mentions_read_once_per_parse_and_copied(core: Crosscheck) -> None:
    doc = core.models.nlp("Two drones were shot down and three soldiers were hurt.")
    first = quantities(doc[:])
    first.clear()  # a caller may change its list: the kept one stays whole
    again = quantities(doc[:])
    assert [q.counts for q in again] == ["drone", "soldier"]
    assert any(key[0] == "quantities" for key in doc.user_data["crosscheck"])


def test_claims_reuse_their_sentence_vector(core: Crosscheck, seed_texts: dict[str, str]) -> None:
    models = core.models
    text = next(iter(seed_texts.values()))
    analysed = analyse(models, ArticleIn(text=text), core.settings.max_text_chars)
    sentences = analysed.document.sentences
    assert analysed.claims
    whole = [k for k, c in enumerate(analysed.claims) if c.text == sentences[c.sentence_index].text]
    parts = [k for k, c in enumerate(analysed.claims) if k not in whole]
    assert whole and parts, "the seed should hold whole-sentence claims and cut ones"
    for k in whole:
        index = analysed.claims[k].sentence_index
        assert np.array_equal(analysed.claim_vectors[k], analysed.sentence_vectors[index])
    alone = models.embedder.encode([analysed.claims[k].text for k in parts])
    cosines = np.einsum("ij,ij->i", alone, analysed.claim_vectors[parts])
    assert float(cosines.min()) > 0.999
    lead = models.embedder.encode([lead_text(analysed.title, analysed.document)])
    assert float(lead[0] @ analysed.placement.vector) > 0.999


def test_matching_finds_the_same_links_from_either_side(
    core: Crosscheck, seed_texts: dict[str, str]
) -> None:
    """The pairs of both directions, judged in one call, give one set of links whichever
    article comes second."""
    models = core.models
    texts = list(seed_texts.values())
    sides = [
        analyse(models, ArticleIn(text=t, source=f"outlet {i}"), core.settings.max_text_chars).side(
            str(i), str(i)
        )
        for i, t in enumerate(texts)
    ]
    per = core.settings.candidates_per_origin
    together = match(sides[1], [sides[0]], models.judge, per)
    apart = match(sides[0], [sides[1]], models.judge, per)

    def keyed(links: list[Link]) -> set[tuple[str, int, str, int, str]]:
        return {
            (
                x.claim_article,
                x.claim_index,
                x.evidence_article,
                x.sentence_index,
                x.judgement.relation.value,
            )
            for x in links
        }

    assert together
    assert keyed(together) == keyed(apart)

"""Contradiction cues and the judge that gates them."""

from __future__ import annotations

import pytest
from spacy.language import Language

from models.cues import actor_mismatch, date_mismatch, find_cue, number_mismatch, polarity_flip
from models.embedder import Embedder
from models.judge import Judge
from models.labels import Reason, Relation
from models.nlp import load_spacy


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_spacy()


@pytest.fixture(scope="module")
def judge(nlp: Language) -> Judge:
    # The similarity-and-cue judge, without the NLI model, so these tests pin the cues.
    return Judge(nlp, Embedder())


def test_number_mismatch_names_both_numbers(nlp: Language) -> None:
    evidence = nlp("Security sources said they shot down three other drones aimed at the home.")
    cue = number_mismatch(nlp("They shot down two other drones aimed at the home."), evidence)
    assert cue is not None and cue.reason is Reason.NUMBER_MISMATCH
    assert "'two other drones'" in cue.explanation and "'three other drones'" in cue.explanation
    assert evidence.text[cue.evidence_start : cue.evidence_end] == "three other drones"


def test_numbers_of_different_things_do_not_clash(nlp: Language) -> None:
    assert number_mismatch(nlp("Two drones were shot down."), nlp("Three men died.")) is None
    assert number_mismatch(nlp("Two drones were shot down."), nlp("Two drones fell.")) is None


def test_date_mismatch(nlp: Language) -> None:
    cue = date_mismatch(
        nlp("Qaani arrived in Baghdad late on Sunday, November 7."),
        nlp("Qaani arrived in Baghdad late on Saturday, November 6."),
    )
    assert cue is not None and cue.reason is Reason.DATE_MISMATCH
    assert date_mismatch(nlp("He came on Sunday."), nlp("He came on Sunday night.")) is None


def test_antonym_flip_with_the_same_doer(nlp: Language) -> None:
    cue = polarity_flip(
        nlp("Tehran initially denied the visit."), nlp("Tehran confirmed the visit.")
    )
    assert cue is not None and cue.reason is Reason.ANTONYM
    assert "denied the visit" in cue.explanation


def test_antonym_of_another_doer_is_no_flip(nlp: Language) -> None:
    claim = nlp("Tehran confirmed the visit.")
    evidence = nlp("Tehran initially denied the visit, which was later confirmed by Reuters.")
    assert polarity_flip(claim, evidence) is not None  # Tehran denied: a flip
    # Reuters did confirm it there: neither the flip nor a different actor applies.
    assert find_cue(nlp("Reuters confirmed the visit."), evidence) is None


def test_negation_flip(nlp: Language) -> None:
    cue = polarity_flip(
        nlp("The protesters did not storm the zone."), nlp("Protesters stormed the zone.")
    )
    assert cue is not None and cue.reason is Reason.NEGATION


def test_actor_mismatch_but_not_for_transliterations(nlp: Language) -> None:
    cue = actor_mismatch(
        nlp("The visit was confirmed by Reuters."), nlp("The visit was confirmed by AFP.")
    )
    assert cue is not None and cue.reason is Reason.ACTOR_MISMATCH
    assert find_cue(nlp("Qaani attended the meeting."), nlp("Ghani attended the meeting.")) is None
    assert (
        find_cue(nlp("Muqtada al-Sadr won the vote."), nlp("Muqtadr al-Sadr won the vote.")) is None
    )


def test_judge_contradicts_with_reason(judge: Judge) -> None:
    (j,) = judge.judge(
        [
            (
                "Iraqi security sources shot down two other drones aimed at the residence.",
                "Iraqi security sources said they shot down three other drones aimed at "
                "the residence.",
            )
        ]
    )
    assert j.relation is Relation.CONTRADICTS and j.reason is Reason.NUMBER_MISMATCH
    assert 0.5 <= j.probability <= 1.0


def test_judge_supports_paraphrase_and_ignores_unrelated(judge: Judge) -> None:
    same, other = judge.judge(
        [
            (
                "Pro-Iran groups have disputed the outcome of the October vote.",
                "Pro-Iran groups disputed the outcome of October's vote.",
            ),
            (
                "Pro-Iran groups have disputed the outcome of the October vote.",
                "It rained in Paris.",
            ),
        ]
    )
    assert same.relation is Relation.SUPPORTS
    assert other.relation is Relation.SILENT and other.reason is Reason.UNRELATED


def test_cues_need_the_same_fact(judge: Judge) -> None:
    # Different numbers of different events are no contradiction: the gate keeps them apart.
    (j,) = judge.judge([("Two drones hit the palace.", "The bakery sold three cakes.")])
    assert j.relation is Relation.SILENT


def test_judge_notes_different_attribution(judge: Judge) -> None:
    from models.claims import Attribution

    (j,) = judge.judge(
        [
            (
                "Both the drones and explosives were Iranian-made.",
                "Reuters reported that both the drones and the explosives were Iranian-made.",
            )
        ],
        attributions=[Attribution("Officials", "told", "Monday")],
    )
    assert j.relation is Relation.SUPPORTS
    assert "'Officials'" in j.explanation and "'Reuters'" in j.explanation


# Pairs from real multi-outlet coverage (gun-violence corpus) that once came out as false
# contradictions: the same word in a different event, a part of a count, a negative
# determiner, two people doing the same kind of thing.
NOT_CONTRADICTIONS = [
    ("More than 300 people packed the club.", "Officially, 49 people were killed in the massacre."),
    ("The other four victims were identified by the media.", "Five victims were killed on Friday."),
    (
        "Burnsworth was charged with one count of homicide.",
        "Hudec was charged with five counts of child endangerment.",
    ),
    ("A gun was not found in Few's vehicle.", "No gun was found on Few or in his truck."),
    ("Mateen got into a gunfight with a cop.", "An officer couldn't get a clean shot at Mateen."),
    ("The teenager was in court on Friday.", "Two people were charged on Monday."),
    (
        "Stafford and Greenhouse were arrested on November 6.",
        "The marshals were charged in the Nov. 3 shooting.",
    ),
    ("Stafford and Norris Greenhouse were indicted.", "Norris Greenhouse was indicted."),
]


@pytest.mark.parametrize(("claim", "evidence"), NOT_CONTRADICTIONS)
def test_no_cue_where_the_facts_do_not_clash(nlp: Language, claim: str, evidence: str) -> None:
    assert find_cue(nlp(claim), nlp(evidence)) is None


def test_a_real_count_clash_still_found(nlp: Language) -> None:
    cue = find_cue(
        nlp("Officially, 49 people were killed in the massacre."),
        nlp("A total of 50 people were killed in the shooting."),
    )
    assert cue is not None and cue.reason is Reason.NUMBER_MISMATCH


def test_two_officials_declaring_is_no_actor_clash(judge: Judge) -> None:
    (j,) = judge.judge(
        [
            (
                "Gov. Rick Scott declared a state of emergency in Orlando.",
                "Orlando Mayor Buddy Dyer has declared a local state of emergency.",
            )
        ]
    )
    assert j.relation is not Relation.CONTRADICTS

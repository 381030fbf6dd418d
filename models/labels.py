"""Closed vocabularies shared by every stage: relations, reasons and verdicts."""

from __future__ import annotations

from enum import StrEnum


class Relation(StrEnum):
    """What one outlet's text says about another outlet's claim."""

    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"
    SILENT = "silent"


class Verdict(StrEnum):
    """The verdict on one claim across the origins of its story."""

    CORROBORATED = "corroborated"
    CONTESTED = "contested"
    SINGLE_SOURCE = "single_source"


class Reason(StrEnum):
    """Machine-readable reason behind a relation."""

    NUMBER_MISMATCH = "number_mismatch"
    AGE_MISMATCH = "age_mismatch"
    TIME_MISMATCH = "time_mismatch"
    DATE_MISMATCH = "date_mismatch"
    PLACE_MISMATCH = "place_mismatch"
    NEGATION = "negation"
    ANTONYM = "antonym"
    ACTOR_MISMATCH = "actor_mismatch"
    NLI_ENTAILMENT = "nli_entailment"
    NLI_CONTRADICTION = "nli_contradiction"
    VALUES_AGREE = "values_agree"
    PARAPHRASE = "paraphrase"
    """Kept for links stored by the first release; the judge no longer gives it."""
    UNRELATED = "unrelated"
    NOT_ADDRESSED = "not_addressed"

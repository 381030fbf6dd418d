"""Quantities, dates and name variants: the facts that cues compare."""

from __future__ import annotations

import pytest
from spacy.language import Language

from models.mentions import dates, name_key, parse_number, quantities, same_actor
from models.nlp import load_spacy
from models.values import clock_times


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_spacy()


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("1,200", 1200), ("two", 2), ("2.5 million", 2.5e6), ("twenty five", 25)],
)
def test_parse_number(text: str, value: float) -> None:
    assert parse_number(text) == value


def test_parse_number_refuses_words() -> None:
    assert parse_number("several") is None
    assert parse_number("") is None


def test_quantities_know_what_they_count(nlp: Language) -> None:
    doc = nlp("Security forces shot down two other drones and arrested 14 men on Sunday.")
    found = {(q.value, q.counts) for q in quantities(doc[:])}
    assert found == {(2.0, "drone"), (14.0, "man")}
    drones = next(q for q in quantities(doc[:]) if q.counts == "drone")
    assert doc.text[drones.start : drones.end] == drones.text == "two other drones"


def test_dates_are_not_quantities(nlp: Language) -> None:
    doc = nlp("He arrived on November 7, 2021, a Sunday.")
    assert quantities(doc[:]) == []
    (mention, *_rest) = dates(doc[:])
    assert (11, 7) in mention.month_days and 2021 in mention.years


def test_spaced_clock_times_are_times_not_counts(nlp: Language) -> None:
    doc = nlp("The quake struck at 3: 33 a. m. local time, killing 12 people.")
    assert [(q.value, q.counts) for q in quantities(doc[:])] == [(12, "people")]
    (clock,) = clock_times(doc[:])
    assert clock.text == "3: 33 a. m." and clock.low <= 3 * 60 + 33 <= clock.high


def test_weekday_parsed(nlp: Language) -> None:
    doc = nlp("Qaani arrived in Baghdad late on Sunday, November 7.")
    (mention,) = dates(doc[:])
    assert mention.weekdays == {6}
    assert mention.month_days == {(11, 7)}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ismail Qaani", "Ismail Ghani"),
        ("Qaani", "Ghaani"),
        ("al-Kadhimi", "Kadhimi"),
        ("Mustafa al-Kadhimi", "Kadhimi"),
        ("Muqtada al-Sadr", "Muqtadr al-Sadr"),
    ],
)
def test_name_variants_are_one_actor(a: str, b: str) -> None:
    assert same_actor(a, b)


@pytest.mark.parametrize(
    ("a", "b"), [("Reuters", "AFP"), ("Donald Trump", "Joe Biden"), ("Qaani", "Suleimani")]
)
def test_different_names_are_different_actors(a: str, b: str) -> None:
    assert not same_actor(a, b)


def test_name_key_ignores_article_and_spelling() -> None:
    assert name_key("Qaani") == name_key("Ghani") == name_key("Ghaani")
    assert name_key("al-Kadhimi") == name_key("Kadhimi")

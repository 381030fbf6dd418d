"""Word fingerprints: rare words weigh, common ones do not."""

from __future__ import annotations

import pytest

from models.lexical import Idf, fingerprint, similarity


@pytest.fixture(scope="module")
def idf() -> Idf:
    return Idf.load()


def test_the_shipped_table_knows_common_words_and_rates_them_low(idf: Idf) -> None:
    assert idf.documents > 10_000
    assert idf.weight("the") < idf.weight("police") < idf.weight("qeshm")


def test_two_reports_of_one_event_share_more_than_two_similar_events(idf: Idf) -> None:
    one = "A magnitude 5.9 quake struck Qeshm island, destroying homes in Tabl and Dargahan."
    same = "The quake of magnitude 5.9 hit the villages of Tabl and Dargahan on Qeshm."
    other = "A magnitude 6.1 quake struck Bam, destroying homes in the old citadel of Bam."
    a, b, c = (fingerprint(t, idf) for t in (one, same, other))
    assert similarity(a, b) > similarity(a, c) + 0.2
    assert similarity(a, a) == pytest.approx(1.0, abs=1e-3)


def test_a_fingerprint_keeps_the_heaviest_words_only(idf: Idf) -> None:
    text = " ".join(f"word{i}" for i in range(500)) + " the the the"
    kept = fingerprint(text, idf, terms=50)
    assert len(kept) == 50 and "the" not in kept
    assert fingerprint("", idf) == {}

"""Sources, content identity and origins."""

from __future__ import annotations

from service.stories import (
    containment,
    content_hash,
    find_origin,
    normalise_source,
    outlet_keys,
    registered_domain,
    shingles,
)


def test_source_from_domain_when_unnamed() -> None:
    assert normalise_source(None, "https://www.theguardian.com/world/2021/nov/07/x") == (
        "theguardian.com",
        "theguardian.com",
    )
    assert normalise_source(None, "https://m.example.org/a") == ("example.org", "example.org")
    assert normalise_source("  the   guardian ", None) == ("the guardian", None)
    assert normalise_source(None, None) == ("unknown", None)


def test_one_outlet_under_its_names_and_domains() -> None:
    def same(a: tuple[str, str | None], b: tuple[str, str | None]) -> bool:
        return bool(outlet_keys(*a) & outlet_keys(*b))

    guardian = ("The Guardian", None)
    assert same(guardian, ("guardian", None))
    assert same(guardian, ("theguardian.com", "theguardian.com"))
    assert same(("BBC", None), ("bbc.co.uk", "news.bbc.co.uk"))
    assert same(("Some Name", "wral.com"), ("WRAL", None))
    assert not same(guardian, ("The Observer", None))
    assert not same(("ap", None), ("apnews.com", "apnews.com"))  # no list of known outlets
    # An unnamed outlet is nobody's: only origins keep such articles apart.
    assert outlet_keys("unknown", None) == frozenset()
    assert registered_domain("news.bbc.co.uk") == "bbc.co.uk"
    assert registered_domain("www.wral.com") == "wral.com"


def test_content_hash_ignores_layout_not_source() -> None:
    a = content_hash("IranWire", "Qaani arrived.\n\nIn Baghdad!")
    assert a == content_hash("IranWire", "qaani   arrived in baghdad")
    assert a != content_hash("Guardian", "Qaani arrived in Baghdad")


def test_republished_copy_shares_the_origin() -> None:
    wire = "Iraqi security forces said they shot down two other drones aimed at the residence. " * 3
    copy = wire + "Reporting by a partner desk."
    other = "A different report about elections and turnout in the provinces of Iraq this week."
    assert containment(shingles(wire), shingles(copy)) > 0.9
    assert (
        find_origin(shingles(copy), [("o1", shingles(other)), ("o2", shingles(wire))], 0.8) == "o2"
    )
    assert find_origin(shingles(other), [("o2", shingles(wire))], 0.8) is None


def test_source_names_lose_markup() -> None:
    assert normalise_source("<b>Gulf</b> <script>x</script>Ledger", None)[0] == "Gulf x Ledger"
    assert normalise_source("<img src=x onerror=alert(1)>", None)[0] == "unknown"

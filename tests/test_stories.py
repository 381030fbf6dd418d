"""Sources, content identity and origins."""

from __future__ import annotations

from service.stories import containment, content_hash, find_origin, normalise_source, shingles


def test_source_from_domain_when_unnamed() -> None:
    assert normalise_source(None, "https://www.theguardian.com/world/2021/nov/07/x") == (
        "The Guardian",
        "theguardian.com",
    )
    assert normalise_source(None, "https://m.example.org/a") == ("example.org", "example.org")
    assert normalise_source("  the   guardian ", None) == ("The Guardian", None)
    assert normalise_source(None, None) == ("unknown", None)


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


def test_source_names_lose_markup_and_find_their_outlet() -> None:
    assert normalise_source("guardian", None)[0] == "The Guardian"
    assert normalise_source("theguardian.com", None)[0] == "The Guardian"
    assert normalise_source("<b>Gulf</b> <script>x</script>Ledger", None)[0] == "Gulf x Ledger"
    assert normalise_source("<img src=x onerror=alert(1)>", None)[0] == "unknown"

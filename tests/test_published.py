"""The publication time a page states about itself (HTML metadata, a dated line)."""

from __future__ import annotations

from datetime import UTC, datetime

from models.published import from_html, from_text, published_time

NOW = datetime(2026, 11, 27, tzinfo=UTC)


def test_html_metadata_with_its_offset_in_utc() -> None:
    page = (
        '<html><head><meta property="article:published_time" '
        'content="2021-11-07T19:14:16+05:00"></head><body><p>Text.</p></body></html>'
    )
    assert from_html(page, NOW) == datetime(2021, 11, 7, 14, 14, 16, tzinfo=UTC)
    assert published_time(page, html=True, now=NOW) == datetime(2021, 11, 7, 14, 14, 16, tzinfo=UTC)


def test_a_dated_line_of_plain_text() -> None:
    text = "A man was shot.\n\nPublished at Sun, 07 Nov 2021 19:14:16 +0000\n"
    assert from_text(text, NOW) == datetime(2021, 11, 7, 19, 14, 16, tzinfo=UTC)
    assert from_text("Posted: March 3, 2016\nA man was shot.", NOW) == datetime(
        2016, 3, 3, tzinfo=UTC
    )


def test_no_date_or_an_impossible_one_gives_none() -> None:
    assert from_text("The report was published at the town hall.", NOW) is None
    assert from_text("Published at 12 June 2090", NOW) is None
    assert published_time("<p>No date here at all.</p>", html=True, now=NOW) is None


def test_a_dateline_under_the_headline_with_the_spacing_of_copied_text() -> None:
    text = "Quake hits coastal town\nDecember 15th, 2008, 7: 35 am\nA quake hit the town."
    assert from_text(text, NOW) == datetime(2008, 12, 15, 7, 35, tzinfo=UTC)
    assert from_text("Fire at the mill\n6 / 6 / 2013\nThe mill burned.", NOW) == datetime(
        2013, 6, 6, tzinfo=UTC
    )


def test_a_sentence_that_holds_a_date_is_not_a_dateline() -> None:
    # A date inside a sentence of the body is about the story, not when the page was published.
    assert from_text("Obituary\nShe was born on April 22, 1923, in Nashville.", NOW) is None
    assert from_text("Election\nIn 2008 the party lost its majority.\nIt won.", NOW) is None

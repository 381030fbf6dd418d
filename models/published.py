"""When an article was published, read from the page itself when the client sends no time.

HTML pages carry it in their metadata (``article:published_time``, JSON-LD, ``<time>``), which
`htmldate` reads; plain text copied from a page often keeps a dated line ("Published at Sun, 07
Nov 2021 19:14:16 +0000", "Posted: March 3, 2016 10:12 PM"), which `dateparser` reads. Both
work offline. The story window counts from this time, so archives are not dated by ingest.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_DATED_LINE = re.compile(
    r"^\s*(?:published|posted|updated|first published|last updated)\b(?:\s+(?:at|on))?\s*:?\s*"
    r"(?P<when>.{6,60}?)\s*$",
    re.IGNORECASE | re.MULTILINE,
)
_EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


def _sane(moment: datetime | None, now: datetime) -> datetime | None:
    if moment is None:
        return None
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment if _EARLIEST <= moment <= now + timedelta(days=1) else None


def from_html(markup: str, now: datetime | None = None) -> datetime | None:
    """The publication time in an HTML page's metadata or dated elements, if any."""
    import htmldate

    found = htmldate.find_date(
        markup,
        outputformat="%Y-%m-%dT%H:%M:%S%z",
        original_date=True,
        extensive_search=False,
    )
    if not found:
        return None
    try:
        moment = datetime.strptime(found, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None
    return _sane(moment, now or datetime.now(UTC))


# Text copied from a page splits numbers with spaces ("7: 35 am", "6 / 6 / 2013").
_TIGHTEN = (
    (re.compile(r"(\d)\s*:\s*(\d)"), r"\1:\2"),
    (re.compile(r"(\d)\s*([/.-])\s*(\d)"), r"\1\2\3"),
    (re.compile(r"\b([ap])\.\s*m\b\.?", re.IGNORECASE), r"\1m"),
    (re.compile(r"\((?:GMT|UTC)[^)]*\)"), ""),
)
_PREFIX = re.compile(
    r"^\s*(?:article\s+)?(?:first\s+|last\s+)?(?:published|posted|updated)\b"
    r"(?:\s+(?:at|on))?\s*:?\s*",
    re.IGNORECASE,
)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
DATELINE_LINES = 6
"""A date standing on its own line counts as the publication date among the first lines."""


def _parse(when: str, now: datetime, complete: bool) -> datetime | None:
    import dateparser

    for pattern, replacement in _TIGHTEN:
        when = pattern.sub(replacement, when)
    settings: dict[str, object] = {
        "RETURN_AS_TIMEZONE_AWARE": True,
        "TIMEZONE": "UTC",
        "PREFER_DATES_FROM": "past",
        "RELATIVE_BASE": now.replace(tzinfo=None),
    }
    if complete:
        settings["REQUIRE_PARTS"] = ["day", "month", "year"]
    return _sane(dateparser.parse(when.strip(" |\t-"), languages=["en"], settings=settings), now)


def from_text(text: str, now: datetime | None = None) -> datetime | None:
    """The time of the first "Published / Posted / Updated …" line of a plain text, or else a
    complete date standing on a short line of its own near the top (a page's dateline)."""
    now = now or datetime.now(UTC)
    for match in _DATED_LINE.finditer(text):
        found = _parse(match.group("when"), now, complete=False)
        if found is not None:
            return found
    lines = [line for line in text.splitlines() if line.strip()][:DATELINE_LINES]
    for line in lines:
        if len(line) <= 60 and _YEAR.search(line):
            found = _parse(_PREFIX.sub("", line), now, complete=True)
            if found is not None:
                return found
    return None


def published_time(raw: str, html: bool, now: datetime | None = None) -> datetime | None:
    """The publication time an article states about itself (HTML metadata or a dated line)."""
    if html:
        found = from_html(raw, now)
        if found is not None:
            return found
    return from_text(raw, now)

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


def from_text(text: str, now: datetime | None = None) -> datetime | None:
    """The time of the first "Published / Posted / Updated …" line of a plain text, if any."""
    import dateparser

    now = now or datetime.now(UTC)
    for match in _DATED_LINE.finditer(text):
        moment = dateparser.parse(
            match.group("when"),
            languages=["en"],
            settings={
                "RETURN_AS_TIMEZONE_AWARE": True,
                "TIMEZONE": "UTC",
                "PREFER_DATES_FROM": "past",
                "RELATIVE_BASE": now.replace(tzinfo=None),
            },
        )
        found = _sane(moment, now)
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

"""Claim lists as JSON pages or streamed exports (CSV, JSON Lines), chosen by `?format=` or
the Accept header; and the JSON-LD media type of claim reviews."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import StreamingResponse
from starlette.responses import Response

from service.api.problems import SafeJSONResponse, escape_markup
from service.core import Crosscheck
from service.export import csv_lines
from service.schemas import ClaimFilter, ClaimFound, ClaimsPublic


class ExportFormat(StrEnum):
    """The shapes a claim list is served in."""

    JSON = "json"
    CSV = "csv"
    JSONL = "jsonl"


CSV_MEDIA_TYPE = "text/csv"
JSONL_MEDIA_TYPE = "application/x-ndjson"
JSONLD_MEDIA_TYPE = "application/ld+json"

# What an Accept header may name for each format; */* and anything else mean JSON.
_ACCEPTED = {
    "application/json": ExportFormat.JSON,
    CSV_MEDIA_TYPE: ExportFormat.CSV,
    JSONL_MEDIA_TYPE: ExportFormat.JSONL,
    "application/jsonl": ExportFormat.JSONL,
    "application/jsonlines": ExportFormat.JSONL,
    "application/x-jsonlines": ExportFormat.JSONL,
}

FormatQuery = Annotated[
    ExportFormat | None,
    Query(
        alias="format",
        description="json (a page, the default), csv or jsonl (every matching claim from "
        "`offset` on, streamed); when missing, the Accept header chooses (text/csv, "
        "application/x-ndjson).",
    ),
]
ExportLimit = Annotated[
    int | None,
    Query(
        ge=1,
        le=1_000_000,
        description="Claims per JSON page (default 20, at most 100); for csv and jsonl, the "
        "most claims to export (default: all).",
    ),
]

EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of claims (JSON), or every matching claim as CSV or JSON Lines.",
        "content": {
            CSV_MEDIA_TYPE: {"schema": {"type": "string"}},
            JSONL_MEDIA_TYPE: {"schema": {"type": "string"}},
        },
    }
}


class JsonLdResponse(SafeJSONResponse):
    """JSON-LD, with markup characters escaped: safe inside a page's script element."""

    media_type = JSONLD_MEDIA_TYPE


def chosen_format(request: Request, asked: ExportFormat | None) -> ExportFormat:
    """The format asked by `?format=`, else the one the Accept header prefers (by q)."""
    if asked is not None:
        return asked
    best, best_q = ExportFormat.JSON, 0.0
    for part in request.headers.get("accept", "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        found = _ACCEPTED.get(media.lower())
        if found is None:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > best_q:
            best, best_q = found, q
    return best


def _jsonl(claims: Iterator[ClaimFound]) -> Iterator[str]:
    for claim in claims:
        yield escape_markup(claim.model_dump_json()) + "\n"


def claims_answer(
    core: Crosscheck,
    request: Request,
    filters: ClaimFilter,
    offset: int,
    limit: int | None,
    asked: ExportFormat | None,
    name: str,
) -> ClaimsPublic | Response:
    """A page of claims as JSON, or every matching claim streamed as CSV or JSON Lines.

    Args:
        core: The core.
        request: The request (its Accept header).
        filters: Which claims.
        offset: Claims to skip.
        limit: Page size (JSON) or most claims (exports).
        asked: The `format` parameter.
        name: File name of an export, without extension.

    Raises:
        NotFoundError, InputError: as Crosscheck.claims, before anything is sent.
    """
    chosen = chosen_format(request, asked)
    if chosen is ExportFormat.JSON:
        return core.claims(filters, offset, 20 if limit is None else limit)
    claims = core.export_claims(filters, offset, limit)
    if chosen is ExportFormat.CSV:
        body, media = csv_lines(claims), f"{CSV_MEDIA_TYPE}; charset=utf-8"
    else:
        body, media = _jsonl(claims), JSONL_MEDIA_TYPE
    return StreamingResponse(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{chosen.value}"'},
    )

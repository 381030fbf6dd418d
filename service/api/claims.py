"""Claims: one check-worthy statement with its verdict and evidence; search across the store."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.api.deps import ClaimFilterDep, CoreDep, Ident, Offset
from service.api.exports import (
    EXPORT_RESPONSES,
    JSONLD_MEDIA_TYPE,
    ExportLimit,
    FormatQuery,
    JsonLdResponse,
    claims_answer,
)
from service.api.problems import problem_responses
from service.schemas import ClaimPublic, ClaimsPublic

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.get(
    "",
    response_model=ClaimsPublic,
    responses={**EXPORT_RESPONSES, **problem_responses(404, 422)},
)
def search_claims(
    request: Request,
    core: CoreDep,
    filters: ClaimFilterDep,
    offset: Offset = 0,
    limit: ExportLimit = None,
    format: FormatQuery = None,
) -> ClaimsPublic | Response:
    """Claims across the store by verdict, outlet, story, words and date; CSV or JSON Lines too."""
    return claims_answer(core, request, filters, offset, limit, format, "claims")


@router.get("/{claim_id}", responses=problem_responses(404, 422))
def get_claim(claim_id: Ident, core: CoreDep) -> ClaimPublic:
    """One claim with its verdict, counts of origins and evidence."""
    return core.claim(claim_id)


@router.get(
    "/{claim_id}/review",
    response_model=None,
    responses={
        200: {
            "description": "A schema.org ClaimReview (JSON-LD).",
            "content": {JSONLD_MEDIA_TYPE: {"schema": {"type": "object"}}},
        },
        **problem_responses(404, 422),
    },
)
def get_claim_review(claim_id: Ident, core: CoreDep, request: Request) -> JsonLdResponse:
    """A contested claim as a schema.org ClaimReview (JSON-LD); other claims answer 404."""
    return JsonLdResponse(core.claim_review(claim_id, str(request.url.replace(query=""))))

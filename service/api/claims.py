"""Claims: one check-worthy statement with its verdict and evidence."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import CoreDep, Ident
from service.api.problems import problem_responses
from service.schemas import ClaimPublic

router = APIRouter(prefix="/v1/claims", tags=["claims"])


@router.get("/{claim_id}", responses=problem_responses(404, 422))
def get_claim(claim_id: Ident, core: CoreDep) -> ClaimPublic:
    """One claim with its verdict, counts of origins and evidence."""
    return core.claim(claim_id)

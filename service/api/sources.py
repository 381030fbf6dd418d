"""Sources: every outlet seen and how its claims fare."""

from __future__ import annotations

from fastapi import APIRouter

from service.api.deps import CoreDep
from service.schemas import SourcesPublic

router = APIRouter(prefix="/v1/sources", tags=["sources"])


@router.get("")
def list_sources(core: CoreDep) -> SourcesPublic:
    """Every outlet with its share of corroborated, contested and single-source claims."""
    return core.sources()

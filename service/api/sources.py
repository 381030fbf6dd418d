"""Sources: every outlet seen and how its claims fare; one outlet and whom it agrees with."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from service.api.deps import CoreDep
from service.api.problems import problem_responses
from service.schemas import SourceDetail, SourcesPublic

router = APIRouter(prefix="/v1/sources", tags=["sources"])

SourceName = Annotated[
    str,
    Path(
        max_length=300,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The outlet's name as listed (any case); an unknown one answers 404.",
    ),
]


@router.get("")
def list_sources(core: CoreDep) -> SourcesPublic:
    """Every outlet with its share of corroborated, contested and single-source claims."""
    return core.sources()


@router.get("/{source_name}", responses=problem_responses(404, 422))
def get_source(source_name: SourceName, core: CoreDep) -> SourceDetail:
    """One outlet: its claims by verdict, and the outlets it most often agrees and clashes with."""
    return core.source(source_name)

"""Typed dependencies of the route handlers: the core and the settings hung on app.state."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from models.labels import Verdict
from service.config import Settings
from service.core import Crosscheck
from service.keys import Principal
from service.schemas import ClaimFilter, PublishedAt, StoryFilter, StoryOrder


def get_core(request: Request) -> Crosscheck:
    """The one Crosscheck built in the lifespan."""
    return cast(Crosscheck, request.app.state.core)


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return cast(Settings, request.app.state.settings)


def get_api_key(request: Request) -> Principal | None:
    """The API key the request was made with (checked by `access.AccessControl`); None
    without one."""
    return cast(Principal | None, getattr(request.state, "api_key", None))


CoreDep = Annotated[Crosscheck, Depends(get_core)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ApiKeyDep = Annotated[Principal | None, Depends(get_api_key)]


MinCheckworthiness = Annotated[
    float | None,
    Query(
        ge=0,
        le=1,
        description="Only claims whose check-worthiness score is at least this (0 to 1).",
    ),
]


Ident = Annotated[
    str,
    Path(
        max_length=300,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The id (an unknown one answers 404; one with control characters, 422).",
    ),
]
"""An id in a path: never a control character (PostgreSQL refuses NUL in any text)."""

MAX_OFFSET = 2**31 - 1
"""Largest page offset: beyond any store, and within every database's integer range."""


def _query_names(dependant: Dependant) -> set[str]:
    names: set[str] = set()
    for param in dependant.query_params:
        names.add(param.alias)
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            names |= {f.alias or n for n, f in model.model_fields.items()}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def refuse_unknown_query(request: Request) -> None:
    """Refuse query parameters the route does not declare (422), rather than ignore them: a
    misspelt filter must not answer as if no filter were given.

    Raises:
        RequestValidationError: naming each unknown parameter.
    """
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if unknown:
        listed = ", ".join(sorted(known)) or "none"
        raise RequestValidationError(
            [
                {
                    "type": "extra_forbidden",
                    "loc": ("query", name),
                    "msg": f"Unknown query parameter; this route takes: {listed}",
                }
                for name in unknown
            ]
        )


Since = Annotated[
    PublishedAt | None,
    Query(
        description="Only what was published (claims) or updated (stories) at or after this "
        "moment: an ISO 8601 date or time, 1900 to one day from now, UTC when no offset.",
        examples=["2021-11-07T00:00:00Z"],
    ),
]
SearchText = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=500,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="Words that must all appear (matched by stem: `drone` finds `drones`).",
        examples=["drones"],
    ),
]
NameText = Annotated[
    str | None,
    Query(max_length=300, pattern=r"^[^\x00-\x1f\x7f]+$"),
]


def story_claim_filter(
    verdict: Annotated[Verdict | None, Query(description="Only claims with this verdict.")] = None,
    source: Annotated[
        NameText, Query(description="Only the claims of this outlet (its name).")
    ] = None,
    q: SearchText = None,
    since: Since = None,
    min_checkworthiness: MinCheckworthiness = None,
) -> ClaimFilter:
    """The claim filters of a story's claim list."""
    return ClaimFilter(
        verdict=verdict, source=source, q=q, since=since, min_checkworthiness=min_checkworthiness
    )


def claim_filter(
    base: Annotated[ClaimFilter, Depends(story_claim_filter)],
    story: Annotated[
        NameText, Query(description="Only the claims of this story (id or key).")
    ] = None,
) -> ClaimFilter:
    """The claim filters of a search across the store."""
    return base.model_copy(update={"story": story})


def story_filter(
    q: Annotated[
        SearchText, Query(description="Stories with a claim that holds every word.")
    ] = None,
    since: Since = None,
    contested: Annotated[
        bool | None,
        Query(description="true: stories with a contested claim; false: stories without one."),
    ] = None,
) -> StoryFilter:
    """The filters of the story listing."""
    return StoryFilter(q=q, since=since, contested=contested)


ClaimFilterDep = Annotated[ClaimFilter, Depends(claim_filter)]
StoryClaimFilterDep = Annotated[ClaimFilter, Depends(story_claim_filter)]
StoryFilterDep = Annotated[StoryFilter, Depends(story_filter)]
StoryOrderQuery = Annotated[
    StoryOrder,
    Query(
        description="newest: most recently updated first; contested: most contested claims "
        "first, then newest."
    ),
]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")]

"""Typed dependencies of the route handlers: the core and the settings hung on app.state."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Path, Query, Request

from service.config import Settings
from service.core import Crosscheck
from service.keys import Principal


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

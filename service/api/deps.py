"""Typed dependencies of the route handlers: the core and the settings hung on app.state."""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Query, Request

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

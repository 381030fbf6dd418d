"""The API's own documentation (Swagger UI at /docs, ReDoc at /redoc), served with no network.

The pages and their scripts come from the `fastapi-offline` package (Swagger UI 5, which renders
OpenAPI 3.1, and ReDoc); the service serves those files itself, so the docs work on a machine
that reaches nothing outside. Two defaults would still reach out and are turned off: Swagger
UI's spec validator badge (`validatorUrl`) and ReDoc's footer logo, which the bundle loads from
a CDN and which is served here as an empty image instead.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request, Response
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS_URL = "/docs/assets"
ASSET_ROUTE = ASSETS_URL + "/{name}"
"""Route template of the documentation's scripts, style sheet and icon (open to everyone)."""

_STATIC = Path(fastapi_offline.__file__).resolve().parent / "static"
# ReDoc's sidebar footer shows a logo fetched from its makers' CDN; an empty data URL makes
# the image fail at once, and the bundle then leaves it out (its onError hides it).
_REDOC_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
_NO_IMAGE = b"data:,"


class Asset(StrEnum):
    """The files the documentation pages load."""

    SWAGGER_JS = "swagger-ui-bundle.js"
    SWAGGER_CSS = "swagger-ui.css"
    REDOC_JS = "redoc.standalone.js"
    FAVICON = "favicon.png"


_MEDIA_TYPES = {
    Asset.SWAGGER_JS: "text/javascript; charset=utf-8",
    Asset.SWAGGER_CSS: "text/css; charset=utf-8",
    Asset.REDOC_JS: "text/javascript; charset=utf-8",
    Asset.FAVICON: "image/png",
}

router = APIRouter(include_in_schema=False)


@cache
def asset_bytes(asset: Asset) -> bytes:
    """The file as served: the package's copy, with ReDoc's CDN logo taken out."""
    content = (_STATIC / asset.value).read_bytes()
    if asset is Asset.REDOC_JS:
        content = content.replace(_REDOC_LOGO, _NO_IMAGE)
    return content


def _asset_url(request: Request, asset: Asset) -> str:
    return f"{request.scope.get('root_path', '')}{ASSETS_URL}/{asset.value}"


@router.get(DOCS_URL)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on the live OpenAPI schema."""
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - Swagger UI",
        oauth2_redirect_url=f"{root}{OAUTH2_REDIRECT_URL}",
        swagger_js_url=_asset_url(request, Asset.SWAGGER_JS),
        swagger_css_url=_asset_url(request, Asset.SWAGGER_CSS),
        swagger_favicon_url=_asset_url(request, Asset.FAVICON),
        # The default validator is an outside service that Swagger UI sends the schema to.
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_redirect() -> HTMLResponse:
    """The page Swagger UI's OAuth2 flow returns to."""
    return get_swagger_ui_oauth2_redirect_html()


@router.get(REDOC_URL)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc on the live OpenAPI schema."""
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} - ReDoc",
        redoc_js_url=_asset_url(request, Asset.REDOC_JS),
        redoc_favicon_url=_asset_url(request, Asset.FAVICON),
        with_google_fonts=False,
    )


@router.get(ASSET_ROUTE)
def asset(name: Asset) -> Response:
    """One file of the documentation pages."""
    return Response(
        asset_bytes(name),
        media_type=_MEDIA_TYPES[name],
        headers={"Cache-Control": "public, max-age=86400"},
    )

"""The API documentation works with no network: the pages, and every script, style sheet and
image they load, are the service's own, and none of them loads anything from another host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from service.api.docs import Asset
from service.app import create_app
from service.config import AuthMode, Settings
from service.core import Crosscheck

PAGES = ("/docs", "/redoc", "/docs/oauth2-redirect")
EXTERNAL = re.compile(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
# What a browser fetches by itself from a script or a style sheet at an outside address: an
# element's src, a style sheet's href, a CSS url() or @import, and the font and CDN hosts.
# (Scripts also hold addresses that nothing fetches: licence notes, links, error messages.)
FETCHED_IN_CODE = re.compile(
    r"""src\s*[:=]\s*["'`]\s*(?:https?:)?//"""
    r"""|href\s*[:=]\s*["'`]\s*(?:https?:)?//[^"'`]+\.css"""
    r"""|(?-i:url)\(\s*["']?\s*(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?\s*(?:https?:)?//"""
    r"|fonts\.googleapis\.com|fonts\.gstatic\.com|cdn\.[a-z0-9-]+\.[a-z]{2,}",
    re.IGNORECASE,
)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)")


class References(HTMLParser):
    """Every address an HTML page loads or links to (src, href, action), and its inline
    scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.addresses: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name in ("src", "href", "action", "spec-url") and value:
                self.addresses.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def page_references(html: str) -> References:
    parser = References()
    parser.feed(html)
    return parser


@pytest.fixture
def guarded(settings: Settings, core: Crosscheck) -> Iterator[TestClient]:
    """The app with a key required on every guarded route."""
    with TestClient(
        create_app(settings.model_copy(update={"auth": AuthMode.REQUIRED}), core=core)
    ) as client:
        yield client


@pytest.mark.parametrize("page", PAGES)
def test_pages_load_only_the_service_s_own_files(guarded: TestClient, page: str) -> None:
    response = guarded.get(page)  # no key: the docs are open
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    refs = page_references(response.text)
    assert not EXTERNAL.findall(response.text), EXTERNAL.findall(response.text)
    for address in refs.addresses:
        assert address.startswith("/") and not address.startswith("//"), address
        loaded = guarded.get(address)  # every file the page names is served, without a key
        assert loaded.status_code == 200, address
        if loaded.headers["content-type"].startswith(("text/css", "text/javascript")):
            assert not FETCHED_IN_CODE.findall(loaded.text), (
                address,
                FETCHED_IN_CODE.findall(loaded.text)[:5],
            )
        if loaded.headers["content-type"].startswith("text/css"):
            for target in CSS_URL.findall(loaded.text):
                assert target.startswith(("data:", "/", "#")), target


def test_swagger_ui_sends_the_schema_to_no_validator(client: TestClient) -> None:
    # Swagger UI's default validator is an outside service; the page turns it off.
    scripts = "".join(page_references(client.get("/docs").text).scripts)
    assert '"validatorUrl": null' in scripts
    assert "SwaggerUIBundle" in scripts and "/openapi.json" in scripts


def test_redoc_bundle_has_its_cdn_logo_taken_out(client: TestClient) -> None:
    bundle = client.get(f"/docs/assets/{Asset.REDOC_JS.value}")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
    assert "cdn.redoc.ly" not in bundle.text
    assert "redocly logo" in bundle.text  # the bundle itself, only its logo address changed


def test_each_asset_is_served_with_its_type(client: TestClient) -> None:
    types = {}
    for asset in Asset:
        response = client.get(f"/docs/assets/{asset.value}")
        assert response.status_code == 200
        types[asset] = response.headers["content-type"].split(";")[0]
    assert types == {
        Asset.SWAGGER_JS: "text/javascript",
        Asset.SWAGGER_CSS: "text/css",
        Asset.REDOC_JS: "text/javascript",
        Asset.FAVICON: "image/png",
    }
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404
    assert client.get("/docs/assets/other.js").status_code == 422

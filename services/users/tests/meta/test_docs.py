"""/docs: Swagger UI served by the service itself, under a Content-Security-Policy."""

import re

import pytest
from flask.testing import FlaskClient

from users_service.meta.docs import ASSETS, CONTENT_SECURITY_POLICY

ASSET_TYPES = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "docs.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}


def test_the_page_loads_only_its_own_assets(client: FlaskClient) -> None:
    """The page names the spec and the assets by path on this service: no CDN."""
    reply = client.get("/docs")
    assert reply.status_code == 200
    assert reply.mimetype == "text/html"
    page = reply.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(sources) == sorted(f"/docs/assets/{name}" for name in ASSETS)
    assert 'data-spec-url="/openapi.json"' in page
    assert "<script>" not in page  # no inline script: the CSP forbids them


def test_the_page_sets_a_self_only_policy(client: FlaskClient) -> None:
    """Scripts, styles, images and requests only from this origin; nothing inline."""
    headers = client.get("/docs").headers
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    directives = dict(item.strip().split(" ", 1) for item in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("name", "mimetype"), ASSET_TYPES.items())
def test_assets_are_served_with_cache_headers(
    client: FlaskClient, name: str, mimetype: str
) -> None:
    """Each asset: its type, cached for a day, revalidated by ETag (304 when unchanged)."""
    reply = client.get(f"/docs/assets/{name}")
    assert reply.status_code == 200
    assert reply.mimetype == mimetype
    assert reply.headers["Cache-Control"] == "public, max-age=86400"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    etag = reply.headers["ETag"]
    again = client.get(f"/docs/assets/{name}", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_a_failed_if_match_is_a_json_412_without_the_file(client: FlaskClient) -> None:
    reply = client.get("/docs/assets/swagger-ui.css", headers={"If-Match": '"not-this-one"'})
    assert reply.status_code == 412
    assert reply.is_json
    assert reply.get_json()["status"] == "error"


@pytest.mark.parametrize(
    "path",
    [
        "/docs/assets/swagger-initializer.js",  # in the package, but not one the page needs
        "/docs/assets/..%2F..%2Fapp.py",
        "/docs/assets/%2e%2e%2fconfig.py",
        "/docs/assets/../api/docs.py",
        "/docs/assets/",
        "/docs/assets/swagger-ui.css.map",
    ],
)
def test_nothing_else_is_served(client: FlaskClient, path: str) -> None:
    """Only the listed files: other names and traversal attempts are JSON 404s."""
    reply = client.get(path)
    assert reply.status_code == 404
    assert reply.is_json

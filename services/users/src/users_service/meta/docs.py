"""The API's own documentation: /openapi.json and an interactive Swagger UI page at /docs.

Swagger UI's files come from the installed `swagger-ui-py` package and are served here, so
the page needs no CDN and works offline.
"""

from http import HTTPStatus
from importlib.util import find_spec
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, send_file

from users_service.meta.openapi import ReplyDoc, documented, openapi_document, undocumented

PAGE_FOLDER = Path(__file__).resolve().parent / "docs_page"
bp = Blueprint("docs", __name__, template_folder=str(PAGE_FOLDER))
ASSET_MAX_AGE_SECONDS = 24 * 3600
# Everything from this origin, nothing inline: Swagger UI 5 sets its dynamic styles through
# the DOM (which CSP allows), and the browser test fails on any reported violation.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
HTML = ReplyDoc("The page.", media_type="text/html", schema={"type": "string"})
DOCUMENT = ReplyDoc("This document.", schema={"type": "object"})


def _swagger_ui_folder() -> Path:
    spec = find_spec("swagger_ui")  # located, not imported: its __init__ loads framework glue
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the swagger-ui-py package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


# The only files /docs/assets/ serves: a fixed list, so no request can name another path.
SWAGGER_UI_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")
SWAGGER_UI_FOLDER = _swagger_ui_folder()
ASSETS = {
    **{name: SWAGGER_UI_FOLDER / name for name in SWAGGER_UI_FILES},
    "docs.js": PAGE_FOLDER / "docs.js",
}


@bp.get("/openapi.json")
@documented("This document", replies={200: DOCUMENT}, database=False)
def openapi_json() -> Response:
    """The OpenAPI 3.1 document of this service, generated from its routes and models."""
    return jsonify(openapi_document(current_app))


@bp.get("/docs")
@documented("Interactive documentation", replies={200: HTML}, database=False)
def docs_page() -> Response:
    """Swagger UI: read the document, authorize with a bearer token, and call the API."""
    response = Response(render_template("docs.html"), mimetype="text/html")
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/docs/assets/<name>")
@undocumented
def docs_asset(name: str) -> Response:
    """One of the page's static files, cached for a day and revalidated by ETag."""
    path = ASSETS.get(name)
    if path is None:
        abort(404)
    response = send_file(path, max_age=ASSET_MAX_AGE_SECONDS, conditional=True, etag=True)
    if response.status_code == HTTPStatus.PRECONDITION_FAILED:  # Werkzeug keeps the body
        response.close()
        abort(HTTPStatus.PRECONDITION_FAILED)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

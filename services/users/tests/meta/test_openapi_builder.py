"""The builder on a made-up app: what routes still to come (uploads, refresh, rate limits)
need, with a few lines each."""

from typing import Any

from flask import Blueprint, Flask
from openapi_spec_validator import validate
from pydantic import BaseModel

from users_service.auth.guards import login_required
from users_service.meta.openapi import build_document, documented, form
from users_service.meta.openapi.standard import RATE_LIMITED, UNSUPPORTED_MEDIA_TYPE
from users_service.web.wire import Message, Page

files = Blueprint("files", __name__, url_prefix="/files")


class Upload(BaseModel):
    """A file to store."""

    file: bytes
    note: str | None = None


class FileItem(BaseModel):
    name: str
    size: int


class FilesPage(Page):
    """Some files."""

    files: list[FileItem]


@files.post("")
@documented(
    "Upload a file",
    body=form(Upload),
    replies={201: Message, 415: UNSUPPORTED_MEDIA_TYPE, 429: RATE_LIMITED},
)
@login_required
def upload() -> str:
    """Store one file."""
    return ""


@files.get("/<int:file_id>")
@documented("List files", replies={200: FilesPage}, database=False)
def one_page(file_id: int) -> str:
    """A page of files."""
    return ""


def made_up_document() -> dict[str, Any]:
    app = Flask(__name__)
    app.register_blueprint(files)
    return build_document(app)


def test_a_multipart_upload_form() -> None:
    """`form(Model)` documents multipart/form-data; a `bytes` field is a binary file."""
    document = made_up_document()
    body = document["paths"]["/files"]["post"]["requestBody"]
    assert body["content"]["multipart/form-data"]["schema"] == {
        "$ref": "#/components/schemas/Upload"
    }
    upload_schema = document["components"]["schemas"]["Upload"]
    assert upload_schema["properties"]["file"] == {
        **upload_schema["properties"]["file"],
        "type": "string",
        "format": "binary",
    }
    assert upload_schema["required"] == ["file"]
    validate(document)


def test_rate_limits_and_media_types() -> None:
    """429 carries a required Retry-After; 415 is in the one error envelope; a guarded view
    gets 401/403 and the bearer scheme without saying so."""
    responses = made_up_document()["paths"]["/files"]["post"]["responses"]
    assert responses["429"]["headers"]["Retry-After"] == {
        "$ref": "#/components/headers/Retry-After"
    }
    assert responses["415"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorReply"
    }
    assert {"400", "401", "403", "413", "500", "503"} <= set(responses)


def test_integer_path_parameters_and_the_page_envelope() -> None:
    """`<int:...>` is an integer parameter; a `Page` subclass is a list's envelope."""
    document = made_up_document()
    operation = document["paths"]["/files/{file_id}"]["get"]
    assert operation["parameters"][0]["schema"] == {"type": "integer", "minimum": 0}
    page = document["components"]["schemas"]["FilesPage"]
    assert set(page["required"]) == {"files", "next_cursor", "limit"}
    assert "503" not in operation["responses"]

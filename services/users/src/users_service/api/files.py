"""The files resource: upload, list and download, for any signed-in user.

Content lives in the configured storage (FILE_STORAGE), shared by every instance, so a file
uploaded through one instance is listed and served by all of them.
"""

from flask import Blueprint, Response, jsonify, url_for

from users_service import downloads, uploads
from users_service.extensions import db
from users_service.guards import current_user, login_required
from users_service.models import StoredFile
from users_service.openapi import ReplyDoc, documented, form
from users_service.openapi.standard import STORAGE_DOWN, error_reply, invalid
from users_service.pagination import PageQuery, list_page
from users_service.replies import FileReply, FileSummary, page_of, send
from users_service.runtime import runtime
from users_service.schemas import UploadForm

bp = Blueprint("files", __name__, url_prefix="/files")
TOO_LARGE = invalid(uploads.FILE_TOO_LARGE)
CONTENT = ReplyDoc(
    "The file as an attachment (Content-Disposition), with X-Content-Type-Options: nosniff;"
    " active types such as HTML and SVG are sent as application/octet-stream.",
    media_type="*/*",
    schema={"type": "string", "format": "binary"},
)


@bp.post("")
@documented(
    "Upload a file",
    body=form(UploadForm),
    replies={201: FileReply, 413: TOO_LARGE, 503: STORAGE_DOWN},
)
@login_required
def upload_file() -> tuple[Response, int, dict[str, str]]:
    """Store the multipart/form-data part `file` (at most UPLOAD_MAX_BYTES); 201 with its
    metadata and a Location to download it from."""
    settings = runtime().settings
    upload = uploads.receive(settings.upload_max_bytes, settings.max_body_bytes)
    record = uploads.store(db.session, runtime().storage, current_user(), upload)
    reply, code = send(FileReply(message="File uploaded.", data=FileSummary.of(record)), 201)
    return reply, code, {"Location": url_for("files.download_file", file_id=record.id)}


@bp.get("")
@documented("List files", query=PageQuery, replies={200: page_of("files", FileSummary)})
@login_required
def list_files() -> Response:
    """Files, newest first, one page at a time (?limit=, ?cursor= from `next_cursor`)."""
    settings = runtime().settings
    sizes = settings.files_page_size, settings.files_max_page_size
    return jsonify(list_page(db.session, StoredFile, "files", FileSummary.of, sizes))


@bp.get("/<file_id>")
@documented(
    "Download a file",
    path={"file_id": "The file's id; anything that is not a known integer id is a 404."},
    replies={
        200: CONTENT,
        404: error_reply("No such file.", uploads.NO_SUCH_FILE),
        503: STORAGE_DOWN,
    },
)
@login_required
def download_file(file_id: str) -> Response:
    """The file's bytes as an attachment, never rendered inline; any unknown id is a 404."""
    record, chunks = uploads.open_file(db.session, runtime().storage, file_id)
    return downloads.attachment(record, chunks)

"""The files resource: upload, list and download, for any signed-in user.

Content lives in the configured storage (FILE_STORAGE), shared by every instance, so a file
uploaded through one instance is listed and served by all of them.
"""

from flask import Blueprint, Response, jsonify, url_for

from users_service import downloads, uploads
from users_service.extensions import db
from users_service.guards import current_user, login_required
from users_service.models import StoredFile
from users_service.pagination import page_of
from users_service.runtime import runtime
from users_service.schemas import file_summary

bp = Blueprint("files", __name__, url_prefix="/files")


@bp.post("")
@login_required
def upload_file() -> tuple[Response, int, dict[str, str]]:
    """Store the multipart/form-data part `file` (at most UPLOAD_MAX_BYTES); 201 with its
    metadata and a Location to download it from."""
    settings = runtime().settings
    upload = uploads.receive(settings.upload_max_bytes, settings.max_body_bytes)
    record = uploads.store(db.session, runtime().storage, current_user(), upload)
    reply = jsonify(status="success", message="File uploaded.", data=file_summary(record))
    return reply, 201, {"Location": url_for("files.download_file", file_id=record.id)}


@bp.get("")
@login_required
def list_files() -> Response:
    """Files, newest first, one page at a time (?limit=, ?cursor= from `next_cursor`)."""
    settings = runtime().settings
    sizes = settings.files_page_size, settings.files_max_page_size
    return jsonify(page_of(db.session, StoredFile, "files", file_summary, sizes))


@bp.get("/<file_id>")
@login_required
def download_file(file_id: str) -> Response:
    """The file's bytes as an attachment, never rendered inline; any unknown id is a 404."""
    record, chunks = uploads.open_file(db.session, runtime().storage, file_id)
    return downloads.attachment(record, chunks)

"""The files resource: upload, list and download, for any signed-in user.

Content lives in the configured storage (FILE_STORAGE), shared by every instance, so a file
uploaded through one instance is listed and served by all of them.
"""

import logging

from flask import Blueprint, Response, url_for

from users_service.auth.guards import current_user, login_required
from users_service.config import current_settings
from users_service.files import downloads, uploads
from users_service.files.schemas import FilePublic, FileReply, FilesPageReply, FileUpload
from users_service.files.storage import StorageUnavailableError, current_storage
from users_service.meta.openapi import ReplyDoc, documented, form
from users_service.meta.openapi.standard import STORAGE_DOWN, error_reply, invalid
from users_service.models import StoredFile
from users_service.models.database import db
from users_service.web.errors import STORAGE_DOWN_MESSAGE, unavailable
from users_service.web.pagination import PageQuery, list_reply
from users_service.web.wire import reply

log = logging.getLogger(__name__)
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
    body=form(FileUpload),
    replies={201: FileReply, 413: TOO_LARGE, 503: STORAGE_DOWN},
)
@login_required
def upload_file() -> tuple[Response, int, dict[str, str]]:
    """Store the multipart/form-data part `file` (at most UPLOAD_MAX_BYTES); 201 with its
    metadata and a Location to download it from."""
    settings = current_settings()
    upload = uploads.receive(settings.upload_max_bytes, settings.max_body_bytes)
    record = uploads.store(db.session, current_storage(), current_user(), upload)
    body = FileReply(message="File uploaded.", data=FilePublic.model_validate(record))
    response, code = reply(body, 201)
    return response, code, {"Location": url_for("files.download_file", file_id=record.id)}


@bp.get("")
@documented("List files", query=PageQuery, replies={200: FilesPageReply})
@login_required
def list_files() -> tuple[Response, int]:
    """Files, newest first, one page at a time (?limit=, ?cursor= from `next_cursor`)."""
    return list_reply(db.session, StoredFile, "files", FilesPageReply)


@bp.get("/<file_id>")
@documented(
    "Download a file",
    replies={
        200: CONTENT,
        404: error_reply("No such file.", uploads.NO_SUCH_FILE),
        503: STORAGE_DOWN,
    },
)
@login_required
def download_file(file_id: str) -> Response:
    """The file's bytes as an attachment, never rendered inline; any unknown id is a 404."""
    record, chunks = uploads.open_file(db.session, current_storage(), file_id)
    return downloads.attachment(record, chunks)


@bp.errorhandler(StorageUnavailableError)
def storage_unavailable(error: StorageUnavailableError) -> Response:
    log.warning("file storage unavailable: %s", error)
    return unavailable(STORAGE_DOWN_MESSAGE)

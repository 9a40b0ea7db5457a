"""The files resource: upload, list and download, for any signed-in user.

Content lives in the configured storage (FILE_STORAGE), shared by every instance, so a file
uploaded through one instance is listed and served by all of them.
"""

import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, url_for
from sqlalchemy import select

from users_service.auth.guards import current_account, current_user, login_required
from users_service.auth.rate_limits import TOO_MANY
from users_service.config import current_settings
from users_service.files import admission, downloads, uploads
from users_service.files.schemas import FilePublic, FileReply, FilesPageReply, FileUpload
from users_service.files.storage import StorageUnavailableError, current_storage
from users_service.files.storage.quota import QuotaExceededError
from users_service.files.transfers import UserBusyError, WorkerBusyError
from users_service.meta.openapi import ReplyDoc, documented, form
from users_service.meta.openapi.standard import error_reply, retry_reply
from users_service.models import StoredFile
from users_service.models.database import db
from users_service.web.errors import (
    RETRY_AFTER_SECONDS,
    STORAGE_DOWN_MESSAGE,
    json_error,
    unavailable,
)
from users_service.web.pagination import NewestFirst, PageQuery, list_reply
from users_service.web.wire import InvalidReply, reply

log = logging.getLogger(__name__)
bp = Blueprint("files", __name__, url_prefix="/files")
NEWEST_FILES = NewestFirst.of(select(StoredFile), StoredFile)
QUOTA_EXCEEDED = "Storage quota exceeded."
TOO_MANY_TRANSFERS = "Too many file transfers at once. Try again later."
BUSY_MESSAGE = "Service busy: too many file transfers at once. Try again shortly."
TOO_LARGE = ReplyDoc(
    "The file is larger than UPLOAD_MAX_BYTES, or than the account's quota leaves room for;"
    " `errors[0].type` is `too_large` or `quota`.",
    InvalidReply,
    messages=(uploads.FILE_TOO_LARGE, QUOTA_EXCEEDED),
)
UPLOAD_REFUSED = retry_reply(
    "Over RATE_LIMIT_UPLOAD_PER_ACCOUNT, or this user already runs FILES_TRANSFERS_PER_USER"
    " transfers: wait `Retry-After` seconds.",
    TOO_MANY,
    TOO_MANY_TRANSFERS,
)
USER_BUSY = retry_reply(
    "This user already runs FILES_TRANSFERS_PER_USER transfers: wait `Retry-After` seconds.",
    TOO_MANY_TRANSFERS,
)
UNAVAILABLE = (
    "The file storage (S3) cannot be reached, this worker runs FILES_TRANSFERS_PER_WORKER"
    " transfers already, or (uploads) its temporary space is full: retry after `Retry-After`."
)
UPLOAD_UNAVAILABLE = retry_reply(UNAVAILABLE, STORAGE_DOWN_MESSAGE, BUSY_MESSAGE, uploads.NO_ROOM)
DOWNLOAD_UNAVAILABLE = retry_reply(UNAVAILABLE, STORAGE_DOWN_MESSAGE, BUSY_MESSAGE)
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
    replies={
        201: FileReply,
        413: TOO_LARGE,
        429: UPLOAD_REFUSED,
        503: UPLOAD_UNAVAILABLE,
    },
)
@login_required
def upload_file() -> tuple[Response, int, dict[str, str]]:
    """Store the multipart/form-data part `file` (at most UPLOAD_MAX_BYTES, within the
    account's FILES_QUOTA_BYTES_PER_USER); 201 with its metadata and a Location to download
    it from."""
    settings, user = current_settings(), current_user()
    with admission.transfer_slot(user.id):
        allowance = admission.admit_upload(db.session, user.id, settings)
        upload = uploads.receive(settings.upload_max_bytes, settings.max_body_bytes)
        allowance.check(upload.size)
        record = uploads.store(
            db.session,
            current_storage(),
            current_account(db.session),
            upload,
            settings.files_quota_bytes_per_user,
        )
    body = FileReply(message="File uploaded.", data=FilePublic.model_validate(record))
    response, code = reply(body, 201)
    return response, code, {"Location": url_for("files.download_file", file_id=record.id)}


@bp.get("")
@documented("List files", query=PageQuery, replies={200: FilesPageReply})
@login_required
def list_files() -> tuple[Response, int]:
    """Files, newest first, one page at a time (?limit=, ?cursor= from `next_cursor`)."""
    return list_reply(db.reads, NEWEST_FILES, "files", FilesPageReply)


@bp.get("/<file_id>")
@documented(
    "Download a file",
    replies={
        200: CONTENT,
        404: error_reply("No such file.", uploads.NO_SUCH_FILE),
        429: USER_BUSY,
        503: DOWNLOAD_UNAVAILABLE,
    },
)
@login_required
def download_file(file_id: str) -> Response:
    """The file's bytes as an attachment, never rendered inline; any unknown id is a 404."""
    release = admission.take_slot(current_user().id)
    try:
        record, chunks = uploads.open_file(db.reads, current_storage(), file_id)
        response = downloads.attachment(record, chunks)
    except BaseException:
        release()
        raise
    response.call_on_close(release)  # when the server is done sending, or the client left
    return response


def storage_unavailable(error: StorageUnavailableError) -> Response:
    log.warning("file storage unavailable: %s", error)
    return unavailable(STORAGE_DOWN_MESSAGE)


def user_busy(error: UserBusyError) -> Response:
    return json_error(429, TOO_MANY_TRANSFERS, "fail", {"Retry-After": RETRY_AFTER_SECONDS})


def worker_busy(error: WorkerBusyError) -> Response:
    log.warning("file transfers: this worker's %s slots are taken", error)
    return unavailable(BUSY_MESSAGE)


def over_quota(error: QuotaExceededError) -> Response:
    message = f"the account may store {error.quota_bytes} bytes and has {error.left_bytes} left"
    problem = {"field": uploads.FIELD, "message": message, "type": "quota"}
    return json_error(413, QUOTA_EXCEEDED, "fail", errors=[problem])


# How each refusal the files routes meet is answered; other routes never meet them.
REFUSALS: dict[type[Exception], Callable[[Any], Response]] = {
    StorageUnavailableError: storage_unavailable,
    UserBusyError: user_busy,
    WorkerBusyError: worker_busy,
    QuotaExceededError: over_quota,
}
for refusal, answer in REFUSALS.items():
    bp.register_error_handler(refusal, answer)

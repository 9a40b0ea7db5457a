"""Receiving an upload: the one `file` part of a multipart body, checked, named and stored.

The route may receive UPLOAD_MAX_BYTES of file plus MAX_BODY_BYTES of everything else
(boundaries, part headers, other fields); every other route keeps MAX_BODY_BYTES. The file
itself is then measured exactly: one byte over UPLOAD_MAX_BYTES is a 413.
"""

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from flask import request
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from users_service.files.downloads import OCTET_STREAM
from users_service.files.filenames import safe_name
from users_service.files.storage import Storage
from users_service.models import StoredFile, User
from users_service.web.errors import INVALID_PAYLOAD, ApiError
from users_service.web.path_ids import get_by_path_id

FIELD = "file"
FILE_TOO_LARGE = "File too large."
NO_SUCH_FILE = "File does not exist."
MULTIPART = "multipart/form-data"
# RFC 6838 names: type/subtype, each at most 127 characters (werkzeug lower-cases them).
MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")


@dataclass(frozen=True)
class Upload:
    name: str
    content_type: str
    size: int
    stream: IO[bytes]


def receive(max_bytes: int, envelope_bytes: int) -> Upload:
    """The request's `file` part: 400 with problems when there is none, 413 above max_bytes."""
    if request.mimetype != MULTIPART:
        raise _invalid("", "The body must be multipart/form-data with a `file` part.", "multipart")
    part = _file_part(max_bytes, envelope_bytes)
    size = _size(part.stream)
    if size > max_bytes:
        raise _too_large(max_bytes)
    if size == 0:
        raise _invalid(FIELD, "The file is empty.", "empty")
    return Upload(safe_name(part.filename), declared_type(part.mimetype), size, part.stream)


def declared_type(mimetype: str) -> str:
    """The part's Content-Type without parameters if well-formed, else octet-stream."""
    return mimetype if MIME_TYPE.fullmatch(mimetype) else OCTET_STREAM


def store(session: Session, storage: Storage, uploader: User, upload: Upload) -> StoredFile:
    """Save the content and its metadata row together (see the storage package)."""
    record = StoredFile(
        name=upload.name, size=upload.size, content_type=upload.content_type, uploader=uploader
    )
    storage.store(session, record, upload.stream)
    return record


def open_file(
    session: Session, storage: Storage, file_id: str
) -> tuple[StoredFile, Iterable[bytes]]:
    """The file with this id and its content; anything else (not an integer, unknown, content
    gone) is a 404."""
    record = get_by_path_id(session, StoredFile, file_id)
    chunks = storage.open(session, record) if record is not None else None
    if record is None or chunks is None:
        raise ApiError(404, NO_SUCH_FILE, "fail")
    return record, chunks


def _file_part(max_bytes: int, envelope_bytes: int) -> FileStorage:
    # Set before anything reads the body; Flask 3.1 scopes these limits to this request.
    request.max_content_length = max_bytes + envelope_bytes
    try:
        parts = request.files.getlist(FIELD)
    except RequestEntityTooLarge as error:
        raise _too_large(max_bytes) from error
    except BadRequest as error:  # the body ended before its Content-Length
        raise _invalid("", "The multipart body could not be read.", "multipart") from error
    if not parts:
        raise _invalid(FIELD, "Field required: a file part named `file`.", "missing")
    if len(parts) > 1:
        raise _invalid(FIELD, "Send one file per request.", "multiple")
    return parts[0]


def _size(stream: IO[bytes]) -> int:
    size = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    return size


def _invalid(field: str, message: str, kind: str) -> ApiError:
    problem = {"field": field, "message": message, "type": kind}
    return ApiError(400, INVALID_PAYLOAD, "fail", errors=[problem])


def _too_large(max_bytes: int) -> ApiError:
    problem = {"field": FIELD, "message": f"must be at most {max_bytes} bytes", "type": "too_large"}
    return ApiError(413, FILE_TOO_LARGE, errors=[problem])

"""Receiving an upload: the one `file` part of a multipart body, checked, named and stored.

The route may receive UPLOAD_MAX_BYTES of file plus MAX_BODY_BYTES of everything else
(boundaries, part headers, other fields); every other route keeps MAX_BODY_BYTES. The file
itself is then measured exactly: one byte over UPLOAD_MAX_BYTES is a 413.

The whole body is received before the database is touched again: werkzeug keeps a part of
up to 500 KiB in memory and spools a larger one to a temporary file ($TMPDIR), which is
where a full disk shows up. That is a 503 (another upload may have filled it), or a 413
when the declared body could never fit in the temporary file system at all.
"""

import errno
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from flask import request
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from users_service.files.downloads import OCTET_STREAM
from users_service.files.filenames import safe_name
from users_service.files.parts import MAX_PARTS, PartCountingStream, TooManyPartsError
from users_service.files.storage import Storage, quota
from users_service.models import StoredFile, User
from users_service.web.errors import INVALID_PAYLOAD, RETRY_AFTER_SECONDS, ApiError
from users_service.web.path_ids import get_by_path_id

log = logging.getLogger(__name__)
FIELD = "file"
FILE_TOO_LARGE = "File too large."
NO_SUCH_FILE = "File does not exist."
NO_ROOM = "Service unavailable: no room to receive the file right now. Try again shortly."
MULTIPART = "multipart/form-data"
# RFC 6838 names: type/subtype, each at most 127 characters (werkzeug lower-cases them).
MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
# What a file system says when a file cannot grow: full, over quota, over the size limit.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


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
    try:
        part = _file_part(max_bytes, envelope_bytes)
        size = _size(part.stream)
    except OSError as error:
        raise _spool_failed(error) from error
    if size > max_bytes:
        raise _too_large(max_bytes)
    if size == 0:
        raise _invalid(FIELD, "The file is empty.", "empty")
    return Upload(safe_name(part.filename), declared_type(part.mimetype), size, part.stream)


def declared_type(mimetype: str) -> str:
    """The part's Content-Type without parameters if well-formed, else octet-stream."""
    return mimetype if MIME_TYPE.fullmatch(mimetype) else OCTET_STREAM


def store(
    session: Session, storage: Storage, uploader: User, upload: Upload, quota_bytes: int
) -> StoredFile:
    """Save the content and its metadata row together (see the storage package), within
    the uploader's quota."""
    record = StoredFile(
        name=upload.name,
        size=upload.size,
        content_type=upload.content_type,
        uploader=uploader,
    )
    try:
        storage.store(session, record, upload.stream, quota.claim(quota_bytes))
    except OSError as error:  # reading the spooled file back
        raise _spool_failed(error) from error
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
    _count_parts()
    try:
        parts = request.files.getlist(FIELD)
    except TooManyPartsError as error:
        raise _invalid("", f"Too many parts: at most {MAX_PARTS}.", "too_many_parts") from error
    except RequestEntityTooLarge as error:
        raise _too_large(max_bytes) from error
    except BadRequest as error:  # the body ended before its Content-Length
        raise _invalid("", "The multipart body could not be read.", "multipart") from error
    if not parts:
        raise _invalid(FIELD, "Field required: a file part named `file`.", "missing")
    if len(parts) > 1:
        raise _invalid(FIELD, "Send one file per request.", "multiple")
    return parts[0]


def _count_parts() -> None:
    """Put the part counter under werkzeug's parser (which reads wsgi.input when it first
    needs the body, after this)."""
    boundary = request.mimetype_params.get("boundary")
    if boundary:
        environ = request.environ
        environ["wsgi.input"] = PartCountingStream(environ["wsgi.input"], boundary.encode())


def _size(stream: IO[bytes]) -> int:
    size = stream.seek(0, os.SEEK_END)
    stream.seek(0)
    return size


def _spool_failed(error: OSError) -> ApiError:
    log.warning("upload not received: %s: %s", type(error).__name__, error)
    declared = request.content_length
    if error.errno in DISK_FULL and declared and declared > _spool_capacity():
        problem = {
            "field": FIELD,
            "message": "larger than the server can receive",
            "type": "too_large",
        }
        return ApiError(413, FILE_TOO_LARGE, errors=[problem])
    return ApiError(503, NO_ROOM, headers={"Retry-After": RETRY_AFTER_SECONDS})


def _spool_capacity() -> int:
    """The size of the file system werkzeug spools to (a 64 MiB tmpfs on ECS)."""
    return shutil.disk_usage(tempfile.gettempdir()).total


def _invalid(field: str, message: str, kind: str) -> ApiError:
    problem = {"field": field, "message": message, "type": kind}
    return ApiError(400, INVALID_PAYLOAD, "fail", errors=[problem])


def _too_large(max_bytes: int) -> ApiError:
    problem = {"field": FIELD, "message": f"must be at most {max_bytes} bytes", "type": "too_large"}
    return ApiError(413, FILE_TOO_LARGE, errors=[problem])

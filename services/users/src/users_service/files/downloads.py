"""Serving a stored file so that no browser runs or renders it: the headers of a download.

Every download is an attachment with `nosniff` and a sandboxing CSP. Only passive types
(images other than SVG, audio, video, plain text, CSV, PDF, JSON, archives) keep their
declared type; everything else, HTML, SVG, XML and scripts included, is served as
application/octet-stream. The declared type stays in the file's metadata.
"""

from collections.abc import Iterable
from urllib.parse import quote

from flask import Response

from users_service.files.filenames import ascii_fallback
from users_service.models import StoredFile

OCTET_STREAM = "application/octet-stream"
PASSIVE_PREFIXES = ("image/", "audio/", "video/")
PASSIVE_TYPES = frozenset(
    {
        "text/plain",
        "text/csv",
        "application/pdf",
        "application/json",
        "application/zip",
        "application/gzip",
        OCTET_STREAM,
    }
)
DOWNLOAD_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    # Authenticated content: no shared cache may keep it.
    "Cache-Control": "private, no-store",
}
# RFC 5987 attr-char: what may stay unescaped in filename*.
ATTR_CHARS = "!#$&+-.^_`|~"


def served_type(content_type: str) -> str:
    """The Content-Type a download is served with (see the module docstring)."""
    if content_type in PASSIVE_TYPES:
        return content_type
    if content_type.startswith(PASSIVE_PREFIXES) and "xml" not in content_type:
        return content_type
    return OCTET_STREAM


def attachment(record: StoredFile, chunks: Iterable[bytes]) -> Response:
    """The download response for `record`, streaming `chunks` as its body."""
    # content_type=, not mimetype=: werkzeug would add a charset to text types it cannot know.
    response = Response(chunks, content_type=served_type(record.content_type))
    response.content_length = record.size
    response.headers.update(DOWNLOAD_HEADERS)
    response.headers.set("Content-Disposition", "attachment", **disposition_names(record.name))
    return response


def disposition_names(name: str) -> dict[str, str]:
    """RFC 6266: `filename` in ASCII, plus `filename*` in UTF-8 when the name is not ASCII."""
    if name.isascii():
        return {"filename": name}
    quoted = quote(name, safe=ATTR_CHARS)
    return {"filename": ascii_fallback(name), "filename*": f"UTF-8''{quoted}"}

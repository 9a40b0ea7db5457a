"""A limit on the parts of a multipart body that says what it is.

werkzeug refuses more than `max_form_parts` parts with the same RequestEntityTooLarge it
raises for too many bytes, so "too many parts" would be answered "File too large". This
stream sits under werkzeug's parser and counts the boundary delimiters as the body goes
by: past MAX_PARTS parts it raises TooManyPartsError, before werkzeug's own limit can.
"""

from typing import IO

# werkzeug's default max_form_parts; the upload needs one part, browsers send a few.
MAX_PARTS = 1000


class TooManyPartsError(Exception):
    """Neither ValueError nor OSError: werkzeug would read those as a malformed body or a
    client gone, and swallow them."""


class PartCountingStream:
    """The WSGI input, read through unchanged, with its delimiters counted."""

    def __init__(self, stream: IO[bytes], boundary: bytes, max_parts: int = MAX_PARTS) -> None:
        self._stream = stream
        self._delimiter = b"--" + boundary
        # Every part opens with a delimiter, and one more closes the body.
        self._max_delimiters = max_parts + 1
        self._seen = 0
        self._tail = b""

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        # A delimiter may straddle two reads: keep what could be its start.
        window = self._tail + data
        self._seen += window.count(self._delimiter)
        self._tail = window[-(len(self._delimiter) - 1) :]
        if self._seen > self._max_delimiters:
            raise TooManyPartsError(f"more than {self._max_delimiters - 1} parts")
        return data

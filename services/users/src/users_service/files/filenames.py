"""Display names of uploaded files: keep what the user would recognise, drop what can harm.

werkzeug's secure_filename keeps only ASCII letters, digits and `._-`: "Résumé.pdf" would
become "Rsum.pdf" and "日本語.txt" just "txt". Here every printable character survives and
only these go: directories (either separator), control, format (bidi), surrogate and line-
separator characters, the characters Windows refuses in names, and leading or trailing dots
and spaces (so no "..", no hidden file). White-space runs become one space. The result is
NFC, at most 255 UTF-8 bytes with the extension kept, and never empty. The name is only
ever displayed and offered as a download name: content is stored under a row id or a
random key, never under this name.
"""

import unicodedata

from users_service.models.stored_file import NAME_MAX_BYTES
from users_service.models.text import INVISIBLE_CATEGORIES

FALLBACK = "file"
MAX_EXTENSION_BYTES = 32
WINDOWS_FORBIDDEN = str.maketrans(dict.fromkeys('<>:"|?*', "_"))


def safe_name(raw: str | None) -> str:
    """The display name for a client-supplied file name (see the module docstring)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = "".join(char for char in name if unicodedata.category(char) not in INVISIBLE_CATEGORIES)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(name.translate(WINDOWS_FORBIDDEN).split()).strip(". ")
    return _fit(name).strip(". ") or FALLBACK


def ascii_fallback(name: str) -> str:
    """An ASCII stand-in for clients that ignore `filename*`: accents dropped, a stem with no
    ASCII left becomes "file", the extension kept when it is ASCII."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    stem, extension = _ascii(stem).strip() or FALLBACK, _ascii(extension)
    return safe_name(f"{stem}.{extension}" if extension else stem)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _fit(name: str) -> str:
    """At most NAME_MAX_BYTES of UTF-8, cut in the stem so that a short extension survives."""
    if len(name.encode()) <= NAME_MAX_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    suffix = (
        f".{extension}" if dot and stem and len(extension.encode()) < MAX_EXTENSION_BYTES else ""
    )
    head = name[: len(name) - len(suffix)].encode()[: NAME_MAX_BYTES - len(suffix.encode())]
    # A multi-byte character cut in half is dropped, not mangled.
    return head.decode(errors="ignore").rstrip(". ") + suffix

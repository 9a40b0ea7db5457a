"""The canonical keys of usernames and emails that the users table stores (unique), and
that logins and the per-account rate limits compare: computed in Python, so that SQLite and
PostgreSQL agree.

NFKC (a fullwidth `bob` is `bob`), without default-ignorable code points (as Unicode's
NFKC_Casefold), then case folding (`Émile` is `émile`, `ß` is `ss`), then NFKC again
(folding can leave a string unnormalised), with runs of white space as one space. An email
is first normalised as email-validator does at registration (NFC local part, lower-case
Unicode domain), so an NFD, upper-case or punycode spelling has the same key.
"""

import unicodedata
from typing import Any

from email_validator import EmailNotValidError, validate_email

# Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties.txt): never rendered.
DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Removed from keys: `admin` + U+3164 is `admin`.
UNSEEN = dict.fromkeys(code for first, last in DEFAULT_IGNORABLE for code in range(first, last + 1))


def canonical(text: str) -> str:
    """NFKC, without default-ignorables, case folding, NFKC; white-space runs as one space,
    none at either end."""
    visible = unicodedata.normalize("NFKC", text).translate(UNSEEN)
    folded = unicodedata.normalize("NFKC", visible.casefold())
    return " ".join(folded.split())


def normalized_email(email: str) -> str:
    """The address as registration stores it; anything email-validator refuses, as given
    (no account can have it, and its key still names one rate-limit bucket)."""
    try:
        return validate_email(email, check_deliverability=False).normalized
    except EmailNotValidError:
        return email


def email_key(email: str) -> str:
    return canonical(normalized_email(email))


def key_of(column: str, key: Any) -> Any:
    """A column default: the key of the row's `column`, for rows written without one (the
    service always writes both; a test or a tool that inserts rows may not)."""
    return lambda context: key(context.get_current_parameters()[column])

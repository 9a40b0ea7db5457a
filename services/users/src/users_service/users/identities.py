"""The one canonical form of usernames and emails, and the names an account may not take.

Uniqueness, logins and the per-account rate limits all compare canonical keys, computed
here in Python so that SQLite and PostgreSQL agree: NFKC (a fullwidth `bob` is `bob`),
without default-ignorable code points, then case folding (`Émile` is `émile`, `ß` is
`ss`), then NFKC again (folding can leave a string unnormalised), with runs of white space
as one space. Emails are first normalised
as email-validator does at registration (NFC local part, lower-case Unicode domain, so an
NFD or punycode spelling finds the account).

Refused in new names: invisible code points (controls, format characters, Unicode's
default-ignorables such as U+200B and the Hangul fillers), unassigned and private-use
code points, blank-rendering characters, names with nothing visible, and letters of
scripts that are not written together (see scripts.py).
"""

import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from users_service.models.text import INVISIBLE_CATEGORIES
from users_service.models.user import EMAIL_MAX, USERNAME_MAX
from users_service.users.scripts import mixes_scripts

REFUSED_CATEGORIES = INVISIBLE_CATEGORIES | {"Co", "Cn"}  # plus private use, unassigned
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
# Removed from keys, as Unicode's NFKC_Casefold does: `admin` + U+3164 is `admin`.
UNSEEN = dict.fromkeys(code for first, last in DEFAULT_IGNORABLE for code in range(first, last + 1))
# Drawn as blank although they are not spaces (braille blank, null notehead, Khitan filler).
BLANK_GLYPHS = frozenset("\u2800\U0001d159\U00016fe4")


@dataclass(frozen=True)
class IdentityKeys:
    username: str
    email: str


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


def keys_of(username: str, email: str) -> IdentityKeys:
    return IdentityKeys(canonical(username), email_key(email))


def username_problem(name: str) -> str | None:
    """Why `name` cannot be a new username; None when it can."""
    if len(canonical(name)) > USERNAME_MAX:
        return f"must be at most {USERNAME_MAX} characters once normalised"
    return _text_problem(name, [unicodedata.normalize("NFKC", name)])


def email_problem(email: str) -> str | None:
    """Why `email` (already checked by email-validator) cannot be a new account's email."""
    if len(email_key(email)) > EMAIL_MAX:
        return f"must be at most {EMAIL_MAX} characters once normalised"
    local, _, domain = unicodedata.normalize("NFKC", email).rpartition("@")
    return _text_problem(email, [local, *domain.split(".")])


def _text_problem(text: str, parts: list[str]) -> str | None:
    if any(_refused(char) for char in text):
        return "must not contain invisible, blank, unassigned or private-use characters"
    if not any(unicodedata.category(char)[0] not in "ZM" for char in text):
        return "must contain a visible character"
    if any(mixes_scripts(part) for part in parts):
        return "must not mix letters of different scripts"
    return None


def _refused(char: str) -> bool:
    if unicodedata.category(char) in REFUSED_CATEGORIES or char in BLANK_GLYPHS:
        return True
    if unicodedata.category(char) == "Zs" and char != " ":
        return True  # no-break, ideographic and other spaces pass for a plain one
    return ord(char) in UNSEEN

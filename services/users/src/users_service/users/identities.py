"""The one canonical form of usernames and emails, and the names an account may not take.

Uniqueness, logins and the per-account rate limits all compare the canonical keys that
the users table stores (models/identity_keys.py says how they are computed).

Refused in new names: invisible code points (controls, format characters, Unicode's
default-ignorables such as U+200B and the Hangul fillers), unassigned and private-use
code points, blank-rendering characters, names with nothing visible, and letters of
scripts that are not written together (see scripts.py).
"""

import unicodedata
from dataclasses import dataclass

from users_service.models.identity_keys import UNSEEN, canonical, email_key
from users_service.models.text import INVISIBLE_CATEGORIES
from users_service.models.user import EMAIL_MAX, USERNAME_MAX
from users_service.users.scripts import mixes_scripts

REFUSED_CATEGORIES = INVISIBLE_CATEGORIES | {"Co", "Cn"}  # plus private use, unassigned
# Drawn as blank although they are not spaces (braille blank, null notehead, Khitan filler).
BLANK_GLYPHS = frozenset("\u2800\U0001d159\U00016fe4")


__all__ = ["IdentityKeys", "canonical", "email_key", "email_problem", "keys_of", "username_problem"]


@dataclass(frozen=True)
class IdentityKeys:
    username: str
    email: str


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

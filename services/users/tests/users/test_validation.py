"""The fields of a new user, as POST /auth/register and POST /users (admin) both take them.

The reference answered most bad input with 500 HTML; here every refusal is a 400
`Invalid payload.` with an `errors` list naming the field, and never echoes a password.
Each test runs once per route (the `post_user` fixture).
"""

from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.test import TestResponse

from users_service.config import Settings

from services.users.tests.support.bodies import NOT_JSON_BODIES, WRONG_TYPED_VALUES
from services.users.tests.support.contract import assert_invalid_payload
from services.users.tests.support.helpers import register_body
from services.users.tests.users.conftest import UserPoster

INVALID = "Invalid payload."
FIELDS = ("username", "email", "password")
LONG_EMAIL = "a" * 64 + "@" + ".".join(["b" * 63] * 3) + ".com"  # 260 characters


def created(reply: TestResponse) -> bool:
    return reply.status_code == 201 and reply.get_json()["status"] == "success"


# --- missing fields and wrong types -------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
def test_each_missing_field_is_named(post_user: UserPoster, field: str) -> None:
    """A body without one of the fields is refused, naming that field."""
    body = register_body(7)
    del body[field]
    reply = post_user(body)
    assert_invalid_payload(reply, post_user.status, field)
    missing = [item for item in reply.get_json()["errors"] if item["field"] == field]
    assert missing[0]["type"] == "missing"


def test_empty_object_names_every_field(post_user: UserPoster) -> None:
    """`{}` is refused with one problem per required field."""
    reply = post_user({})
    assert_invalid_payload(reply, post_user.status)
    assert {item["field"] for item in reply.get_json()["errors"]} == set(FIELDS)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("value", WRONG_TYPED_VALUES.values(), ids=WRONG_TYPED_VALUES.keys())
def test_wrong_type_is_refused(post_user: UserPoster, field: str, value: Any) -> None:
    """A non-string value for any field is a 400 naming the field, never a 500."""
    reply = post_user(register_body(7, **{field: value}))
    assert_invalid_payload(reply, post_user.status, field)


# --- username -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "username",
    ["", "   ", "\t \t", "u" * 129, "a\x00b", "a\nb", "a\x7fb", "a\x1bb"],
    ids=["empty", "spaces", "tabs", "129_chars", "nul", "newline", "del", "escape"],
)
def test_bad_username_is_refused(post_user: UserPoster, username: str) -> None:
    """Empty, blank, over-long or control-character usernames are refused."""
    reply = post_user(register_body(7, username=username))
    assert_invalid_payload(reply, post_user.status, "username")


@pytest.mark.parametrize(
    "control",
    ["\x85", "\x9b", "\u202e", "\u2028", "\u200b"],
    ids=["nel", "csi", "rtl-override", "line-separator", "zero-width-space"],
)
def test_invisible_char_in_username_is_refused(post_user: UserPoster, control: str) -> None:
    """C1 controls, bidi overrides, separators and zero-width characters are refused too."""
    reply = post_user(register_body(7, username=f"a{control}b"))
    assert_invalid_payload(reply, post_user.status, "username")


def test_username_of_128_chars_is_accepted(post_user: UserPoster) -> None:
    """A username of exactly 128 characters is the longest accepted."""
    assert created(post_user(register_body(7, username="u" * 128)))


def test_username_of_128_multibyte_chars_is_accepted(post_user: UserPoster) -> None:
    """The limit counts characters, not bytes, on every database."""
    assert created(post_user(register_body(7, username="é" * 128)))


def test_username_is_stripped_before_length_check(post_user: UserPoster) -> None:
    """128 characters plus surrounding spaces is still accepted."""
    assert created(post_user(register_body(7, username="  " + "u" * 128 + "  ")))


# --- email --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    ["", "nope", "a@", "@b.com", "a b@c.com", LONG_EMAIL, "x" * 255 + "@example.com"],
    ids=["empty", "no_at", "no_domain", "no_local", "space", "260_chars", "267_chars"],
)
def test_bad_email_is_refused(post_user: UserPoster, email: str) -> None:
    """Malformed or over-long email addresses are refused, naming `email`."""
    reply = post_user(register_body(7, email=email))
    assert_invalid_payload(reply, post_user.status, "email")


def test_email_of_254_chars_is_accepted(post_user: UserPoster) -> None:
    """254 characters is the longest address accepted."""
    email = "a" * 64 + "@" + ".".join(["b" * 63] * 3)[:185] + ".com"
    assert len(email) == 254
    assert created(post_user(register_body(7, email=email)))


def test_normal_email_is_accepted(post_user: UserPoster) -> None:
    """An ordinary address is accepted."""
    assert created(post_user(register_body(7, email="jane.doe+tag@example.org")))


# --- password -----------------------------------------------------------------------------


def test_password_of_7_chars_is_refused(post_user: UserPoster) -> None:
    """The default minimum is 8 characters."""
    reply = post_user(register_body(7, password="Zq7#kW9"))
    assert_invalid_payload(reply, post_user.status, "password")


def test_password_of_8_chars_is_accepted(post_user: UserPoster) -> None:
    """Exactly 8 characters meets the default minimum."""
    assert created(post_user(register_body(7, password="Zq7#kW9m")))


def test_password_of_1024_chars_is_accepted(post_user: UserPoster) -> None:
    """The default maximum is 1024 characters, inclusive."""
    assert created(post_user(register_body(7, password="p" * 1024)))


def test_password_of_1025_chars_is_refused(post_user: UserPoster) -> None:
    """One character over the default maximum is refused."""
    reply = post_user(register_body(7, password="p" * 1025))
    assert_invalid_payload(reply, post_user.status, "password")


@pytest.mark.parametrize("password", [" " * 8, "\t" * 10, " \n \r " * 3])
def test_whitespace_only_password_is_refused(post_user: UserPoster, password: str) -> None:
    """A password made only of white space is refused even when long enough."""
    reply = post_user(register_body(7, password=password))
    assert_invalid_payload(reply, post_user.status, "password")


class TestConfiguredMinimum:
    """PASSWORD_MIN_LENGTH=12 moves the boundary."""

    @pytest.fixture
    def settings(self, make_settings: Callable[..., Settings]) -> Settings:
        return make_settings(password_min_length=12)

    def test_11_chars_refused(self, post_user: UserPoster) -> None:
        """Below the configured minimum is refused."""
        reply = post_user(register_body(7, password="Zq7#kW9mPx2"))
        assert_invalid_payload(reply, post_user.status, "password")

    def test_12_chars_accepted(self, post_user: UserPoster) -> None:
        """Exactly the configured minimum is accepted."""
        assert created(post_user(register_body(7, password="Zq7#kW9mPx2!")))


@pytest.mark.parametrize(
    "overrides",
    [
        {"password": "Zq7#kW9"},
        {"password": "Qv" * 513},
        {"email": "nope", "password": "Secret-Pa55word-xyz"},
        {"username": "", "password": "Secret-Pa55word-xyz"},
        {"username": 5, "password": "Secret-Pa55word-xyz"},
    ],
    ids=["too_short", "too_long", "bad_email", "bad_username", "wrong_type"],
)
def test_password_never_echoed_in_errors(post_user: UserPoster, overrides: dict[str, Any]) -> None:
    """The submitted password appears nowhere in a refusal."""
    reply = post_user(register_body(7, **overrides))
    assert reply.status_code == 400
    assert overrides["password"] not in reply.get_data(as_text=True)


def test_password_not_echoed_on_duplicate(post_user: UserPoster) -> None:
    """A duplicate-user refusal does not echo the password either."""
    secret = "Secret-Pa55word-dup"
    assert created(post_user(register_body(7, password=secret)))
    reply = post_user(register_body(7, password=secret))
    assert reply.status_code == 400
    assert secret not in reply.get_data(as_text=True)


# --- non-JSON bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(("data", "content_type"), NOT_JSON_BODIES.values(), ids=NOT_JSON_BODIES)
def test_non_object_body_is_invalid_payload(
    post_user: UserPoster, data: str, content_type: str
) -> None:
    """Anything but a JSON object is a 400 JSON reply, never a 500."""
    reply = post_user(data=data, content_type=content_type)
    assert_invalid_payload(reply, post_user.status, "")


def test_form_body_is_invalid_payload(post_user: UserPoster) -> None:
    """A form-encoded body with the right fields is still `Invalid payload.`"""
    reply = post_user(data=register_body(7))
    assert_invalid_payload(reply, post_user.status, "")

"""The users' wire format: the body that creates a user, and a user as replies show it."""

from collections.abc import Callable
from typing import Annotated, Any, Literal, Self

from flask import has_app_context
from pydantic import (
    MISSING,
    AfterValidator,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StrictStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from users_service.config import Settings, current_settings
from users_service.models.user import EMAIL_MAX, USERNAME_MAX
from users_service.users.identities import email_problem, username_problem
from users_service.web.wire import HttpDate, Page, Reply, RequestModel

# "Not only white space", anchored at both ends so that every tool reads it the same way.
NOT_BLANK = r"^\s*\S[\s\S]*$"


def _refusing(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    """A validator that refuses a name for the reason `problem` gives (users/identities.py)."""

    def check(name: str) -> str:
        reason = problem(name)
        if reason is not None:
            raise ValueError(reason)
        return name

    return check


def _document_password_policy(schema: dict[str, Any]) -> None:
    """/openapi.json shows the app's own policy (it is built in an app context)."""
    minimum, maximum = password_lengths(current_settings() if has_app_context() else None)
    schema.update(minLength=minimum, maxLength=maximum, pattern=NOT_BLANK)


def password_lengths(settings: Settings | None) -> tuple[int, int]:
    """PASSWORD_MIN_LENGTH and PASSWORD_MAX_LENGTH of `settings`, else their defaults."""
    if settings is None:
        fields = Settings.model_fields
        return fields["password_min_length"].default, fields["password_max_length"].default
    return settings.password_min_length, settings.password_max_length


Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=USERNAME_MAX),
    AfterValidator(_refusing(username_problem)),
    # `format` names the rule JSON Schema cannot express, for readers and for the fuzzer.
    Field(
        description="Surrounding white space is stripped; unique in canonical form (NFKC "
        "and case folding); no invisible, blank, unassigned or private-use characters, "
        "something visible, and letters of one script (or Latin with Chinese, Japanese "
        "and Korean).",
        json_schema_extra={"format": "username", "pattern": NOT_BLANK},
    ),
]
Email = Annotated[
    EmailStr,
    AfterValidator(_refusing(email_problem)),
    Field(
        max_length=EMAIL_MAX,
        description="Checked by email-validator: special-use or reserved domains "
        "(such as .test or .localhost) are refused. Unique in canonical form; the local "
        "part and each label of the domain in one script.",
    ),
]


def _password_policy(password: str, info: ValidationInfo) -> str:
    minimum, maximum = password_lengths(info.context)
    if not minimum <= len(password) <= maximum:
        raise ValueError(f"password must be {minimum} to {maximum} characters long")
    if not password.strip():
        raise ValueError("password must not be only white space")
    return password


# A password being chosen; validated with the settings as context (the policy is theirs).
NewPassword = Annotated[
    StrictStr,
    AfterValidator(_password_policy),
    Field(
        description="PASSWORD_MIN_LENGTH to PASSWORD_MAX_LENGTH characters, not only white space.",
        json_schema_extra=_document_password_policy,
    ),
]


class UserCreate(RequestModel):
    """POST /auth/register and POST /users; validated with the settings as context."""

    username: Username
    email: Email
    password: NewPassword


def _username_or_email(schema: dict[str, Any]) -> None:
    """Either or both, never null (None only stands for "not given")."""
    for name in ("username", "email"):
        schema["properties"][name].pop("default", None)
    schema["anyOf"] = [{"required": ["username"]}, {"required": ["email"]}]


class AccountUpdate(RequestModel):
    """PATCH /users/me: a new username and/or email, confirmed with the current password."""

    model_config = ConfigDict(json_schema_extra=_username_or_email)

    current_password: StrictStr
    # Optional, but never null: SkipJsonSchema keeps None out of the documented types.
    username: Username | SkipJsonSchema[None] = None
    email: Email | SkipJsonSchema[None] = None

    @field_validator("username", "email", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("must be a string when given")
        return value

    @model_validator(mode="after")
    def _changes_something(self) -> "AccountUpdate":
        if self.username is None and self.email is None:
            raise ValueError("give a new username, a new email, or both")
        return self


class AccountDeletion(RequestModel):
    """DELETE /users/me: confirmed with the password."""

    password: StrictStr


class UserPublic(Reply):
    """A user as anyone may see it (with USERS_PUBLIC=false: as admins and its owner see it)."""

    id: int
    username: str
    email: str
    created_at: HttpDate


class UserWithoutEmail(Reply):
    """A user as other users see it with USERS_PUBLIC=false: without the email."""

    id: int
    username: str
    created_at: HttpDate


class UserPrivate(UserPublic):
    """A user as the owner of the token sees it."""

    active: bool
    admin: bool


class UserReply(Reply):
    """One user."""

    status: Literal["success"] = "success"
    data: UserPublic | UserWithoutEmail


class UserPrivateVerified(UserPrivate):
    """A user as the owner of the token sees it, with EMAIL_VERIFICATION on."""

    email_verified: bool = Field(description="Whether the owner followed a link mailed to it.")


class UserPrivateReply(Reply):
    """The account a token belongs to."""

    status: Literal["success"] = "success"
    data: UserPrivateVerified | UserPrivate

    @classmethod
    def of(cls, user: Any) -> "UserPrivateReply":
        """`email_verified` shows only where EMAIL_VERIFICATION is on (the contract's shape
        otherwise)."""
        shown = (
            UserPrivate if current_settings().email_verification == "off" else UserPrivateVerified
        )
        return cls(data=shown.model_validate(user))


class UsersPage(Page):
    """Some users."""

    users: list[UserPublic | UserWithoutEmail]


class UsersPageReply(Reply):
    """A page of users, newest first."""

    status: Literal["success"] = "success"
    data: UsersPage


class UserChange(RequestModel):
    """PATCH /users/<id>: at least one of these; a key left out keeps its value. Null is
    refused, and so is an unknown key, so that a misspelt change cannot pass unnoticed."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    active: StrictBool | MISSING = Field(
        MISSING, description="false ends every session of the user; true does not revive them."
    )
    admin: StrictBool | MISSING = MISSING
    username: Username | MISSING = MISSING
    email: Email | MISSING = MISSING

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one of active, admin, username, email")
        return self

"""The wire format of requests: models that validate input (replies are in `replies`).

Request models are strict (a number is not a string, a string is not a boolean) and never
echo submitted values back, so a password cannot leak into an error reply.
"""

import json
import unicodedata
from typing import Annotated, Any, TypeVar

from flask import has_app_context, request
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictStr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from users_service.errors import ApiError
from users_service.models.user import EMAIL_MAX, USERNAME_MAX
from users_service.runtime import runtime

INVALID_PAYLOAD = "Invalid payload."
DEFAULT_PASSWORD_POLICY = {"min_length": 8, "max_length": 1024}
Model = TypeVar("Model", bound=BaseModel)
# Control, format (bidi overrides) and line-separator characters would make names
# unprintable, spoofable in a UI, and logs forgeable.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
# "Not only white space", anchored at both ends so that every tool reads it the same way.
NOT_BLANK = r"^\s*\S[\s\S]*$"


def _printable(name: str) -> str:
    if any(unicodedata.category(char) in INVISIBLE_CATEGORIES for char in name):
        raise ValueError("must not contain control, format or line-separator characters")
    return name


def _document_password_policy(schema: dict[str, Any]) -> None:
    """/openapi.json shows the app's own policy (it is built in an app context)."""
    policy = runtime().password_policy() if has_app_context() else DEFAULT_PASSWORD_POLICY
    schema.update(minLength=policy["min_length"], maxLength=policy["max_length"], pattern=NOT_BLANK)


Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=USERNAME_MAX),
    AfterValidator(_printable),
    # `format` names the rule JSON Schema cannot express, for readers and for the fuzzer.
    Field(
        description="Surrounding white space is stripped; no control, format or "
        "line-separator characters.",
        json_schema_extra={"format": "username", "pattern": NOT_BLANK},
    ),
]
Email = Annotated[
    EmailStr,
    Field(
        max_length=EMAIL_MAX,
        description="Checked by email-validator: special-use or reserved domains "
        "(such as .test or .localhost) are refused.",
    ),
]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", str_max_length=4096)


class Credentials(_Strict):
    """POST /auth/login"""

    email: StrictStr
    password: StrictStr


class RefreshRequest(_Strict):
    """POST /auth/refresh"""

    refresh_token: Annotated[StrictStr, StringConstraints(min_length=1, max_length=512)]


class UploadForm(BaseModel):
    """POST /files: a multipart/form-data body with one part (read by uploads.receive)."""

    file: bytes = Field(min_length=1, description="The file; at most UPLOAD_MAX_BYTES.")


class UserCreate(_Strict):
    """POST /auth/register and POST /users"""

    username: Username
    email: Email
    password: StrictStr = Field(
        description="PASSWORD_MIN_LENGTH to PASSWORD_MAX_LENGTH characters, not only white space.",
        json_schema_extra=_document_password_policy,
    )

    @field_validator("password")
    @classmethod
    def _password_policy(cls, password: str, info: ValidationInfo) -> str:
        policy = {**DEFAULT_PASSWORD_POLICY, **(info.context or {})}
        minimum, maximum = policy["min_length"], policy["max_length"]
        if not minimum <= len(password) <= maximum:
            raise ValueError(f"password must be {minimum} to {maximum} characters long")
        if not password.strip():
            raise ValueError("password must not be only white space")
        return password


class SeedValue(_Strict):
    """POST / (seed 004)"""

    num: int


def json_object() -> dict[str, Any] | None:
    """The request body as a JSON object, or None for anything else (form, array, garbage)."""
    if not request.is_json:
        return None
    try:
        body = json.loads(request.get_data())
    except (ValueError, RecursionError):
        return None
    return body if isinstance(body, dict) else None


def validate(
    model: type[Model], status: str = "error", context: dict[str, Any] | None = None
) -> Model:
    """Parse the JSON body into `model` or raise the contract's 400 with a list of problems."""
    body = json_object()
    if body is None:
        problem = {"field": "", "message": "The body must be a JSON object.", "type": "json"}
        raise ApiError(400, INVALID_PAYLOAD, status, errors=[problem])
    try:
        return model.model_validate(body, context=context)
    except ValidationError as error:
        raise ApiError(400, INVALID_PAYLOAD, status, errors=problems(error)) from error


def problems(error: ValidationError) -> list[dict[str, str]]:
    """What was wrong, field by field, without the submitted values."""
    return [
        {
            "field": ".".join(str(part) for part in item["loc"]),
            "message": item["msg"],
            "type": item["type"],
        }
        for item in error.errors(include_input=False, include_url=False, include_context=False)
    ]

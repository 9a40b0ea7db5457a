"""The wire format of requests: models that validate input (replies are in `replies`).

Request models are strict (a number is not a string, a string is not a boolean) and never
echo submitted values back, so a password cannot leak into an error reply.
"""

import json
import unicodedata
from typing import Annotated, Any, TypeVar

from flask import request
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

INVALID_PAYLOAD = "Invalid payload."
Model = TypeVar("Model", bound=BaseModel)
# Control, format (bidi overrides) and line-separator characters would make names
# unprintable, spoofable in a UI, and logs forgeable.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _printable(name: str) -> str:
    if any(unicodedata.category(char) in INVISIBLE_CATEGORIES for char in name):
        raise ValueError("must not contain control, format or line-separator characters")
    return name


Username = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=USERNAME_MAX),
    AfterValidator(_printable),
]
Email = Annotated[EmailStr, Field(max_length=EMAIL_MAX)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", str_max_length=4096)


class Credentials(_Strict):
    """POST /auth/login"""

    email: StrictStr
    password: StrictStr


class UserCreate(_Strict):
    """POST /auth/register and POST /users"""

    username: Username
    email: Email
    password: StrictStr

    @field_validator("password")
    @classmethod
    def _password_policy(cls, password: str, info: ValidationInfo) -> str:
        policy = info.context or {}
        minimum, maximum = policy.get("min_length", 8), policy.get("max_length", 1024)
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

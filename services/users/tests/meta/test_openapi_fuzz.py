"""Schemathesis fuzzes every operation of /openapi.json against the app, in process.

Each operation gets valid and invalid inputs (bodies, query and path parameters, missing
or bad tokens), and every reply is checked: never a 5xx, and its status code, content
type, headers and body all as documented. Authenticated operations act as a new admin in
each case, so a case that logs out, demotes, deactivates or deletes it does not lock the
others out. Operations on a user also get, besides any id, one of the case's own users:
its admin (then the only active admin, so demoting it is refused), another admin, or a
member.

The schema is loaded at collection time from an app that never touches its database (one
pytest test per operation); each test then runs against the `app` fixture's database.
"""

import os
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from schemathesis.specs.openapi.checks import missing_required_header, positive_data_acceptance
from sqlalchemy import update

from users_service.app import create_app
from users_service.auth import mail_routes
from users_service.auth import routes as auth
from users_service.auth.guards import NO_TOKEN
from users_service.auth.signing_key import current_token_keys
from users_service.auth.tokens import issue_access_token
from users_service.config import Settings, current_settings
from users_service.models import User
from users_service.models.database import db
from users_service.models.text import INVISIBLE_CATEGORIES
from users_service.users import routes as users
from users_service.users.schemas import Email, Username
from users_service.web.pagination import BIGINT_MAX, NOT_A_CURSOR, Cursor

from services.users.tests.support.helpers import FAST_HASHING

# FUZZ_EXAMPLES=600 for a deeper local hunt (about 2 min); the default takes under 30 s.
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "60"))


def _document_app() -> Flask:
    """An app to read the document from; its in-memory database is never opened."""
    secret = secrets.token_urlsafe(48)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        app_env="testing",
        jwt_algorithm="HS256",  # the document does not depend on it; no key to generate
        secret_key=secret,
        database_url="sqlite://",
        **FAST_HASHING,
    )
    return create_app(settings)


class Target:
    """A WSGI app that forwards to the app under test (set by the `fuzz_app` fixture), so one
    schema loaded at collection serves every test."""

    def __init__(self, app: Flask) -> None:
        self.document_app, self.app = app, app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)

    def token(self, user_id: int) -> str:
        with self.app.app_context():
            ttl = current_settings().access_token_ttl_seconds
            return issue_access_token(user_id, current_token_keys(), ttl)


TARGET = Target(_document_app())
schema = schemathesis.openapi.from_wsgi("/openapi.json", TARGET)
DOCUMENT = TARGET.document_app.test_client().get("/openapi.json").get_json()
SECURED = {
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
    if operation.get("security")
}

# Values of the document's own formats, for the rules JSON Schema cannot express; and
# emails as email-validator accepts them (the `email` format is looser).
EMAIL = TypeAdapter(Email)
USERNAME = TypeAdapter(Username)
# Usernames are in one script (users/scripts.py): text from one block at a time.
BLOCKS = [(0x20, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x3040, 0x30FF), (0x4E00, 0x9FFF)]


def _accepted(adapter: TypeAdapter[str]) -> Callable[[str], bool]:
    def accepted(text: str) -> bool:
        try:
            adapter.validate_python(text)
        except ValidationError:
            return False
        return True

    return accepted


def _block_text(block: tuple[int, int]) -> st.SearchStrategy[str]:
    chars = st.characters(
        min_codepoint=block[0], max_codepoint=block[1], exclude_categories=INVISIBLE_CATEGORIES
    )
    return st.text(chars, min_size=1, max_size=128)


schemathesis.openapi.format("email", st.emails().filter(_accepted(EMAIL)))
schemathesis.openapi.format(
    "username", st.sampled_from(BLOCKS).flatmap(_block_text).filter(_accepted(USERNAME))
)
schemathesis.openapi.format(
    "page-cursor",
    st.builds(
        lambda stamp, row_id: Cursor(stamp, row_id).encode(),
        st.datetimes(timezones=st.just(UTC), min_value=datetime(1970, 1, 2)),
        st.integers(1, BIGINT_MAX),
    ),
)


# Cases are built at collection time, before any database exists: the auth provider marks
# them with a placeholder, and the test swaps in a token minted just before the call.
PLACEHOLDER = "Bearer minted-at-call-time"


@schema.auth(refresh_interval=None)
class FreshAdminToken:
    """A new token per case: a case that logs out revokes only its own."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        return PLACEHOLDER

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": data}


# Likewise, a case may name one of its users by role; the test makes them before the call.
ROLES = ("me", "other-admin", "member")
ROLE_PREFIX = "role-"  # URL-safe: the case holds path parameters encoded


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """A generated `user_id`, or one of the case's users."""
    if path_parameters is None or not isinstance(path_parameters.get("user_id"), str):
        return st.just(path_parameters)
    by_role = [{**path_parameters, "user_id": ROLE_PREFIX + role} for role in ROLES]
    return st.sampled_from([path_parameters, *by_role])


def role_of(case: schemathesis.Case) -> str | None:
    """The role the case's `user_id` names. Invalid data goes to a member, so that it meets
    validation rather than a 404 (such cases are built without the hook, on user 0)."""
    user_id = (case.path_parameters or {}).get("user_id")
    if user_id is None:
        return None
    role = str(user_id).removeprefix(ROLE_PREFIX)
    if role in ROLES:
        return role
    invalid = case.meta is not None and case.meta.generation.mode.is_negative
    return "member" if invalid else None


def cast_case(case: schemathesis.Case, app: Flask, make_user: Callable[..., User]) -> None:
    """Make the users the case names: its admin (the only active admin) when it carries a
    token, and the user its path names by role; put their token and id in the case."""
    role = role_of(case)
    token_wanted = (case.headers or {}).get("Authorization") == PLACEHOLDER
    if role is None and not token_wanted:
        return
    with app.app_context():
        db.session.execute(update(User).values(admin=False))
        db.session.commit()
    me = make_user(admin=True)
    if token_wanted:
        case.headers["Authorization"] = f"Bearer {TARGET.token(me.id)}"
    if role is not None:
        user = me if role == "me" else make_user(admin=role == "other-admin")
        case.path_parameters["user_id"] = str(user.id)


def missing_token_is_403(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> None:
    """The contract answers a missing Authorization header with 403 and its literal (where
    schemathesis' own missing-header check insists on 401, so this check replaces it)."""
    if (case.method.upper(), case.operation.path) not in SECURED:
        return
    if "authorization" in {name.lower() for name in (case.headers or {})}:
        return
    assert response.status_code == 403, f"{response.status_code} without a token"
    assert response.json()["message"] == NO_TOKEN


# Valid data the service may still refuse, each for a reason the schema cannot carry:
# a taken username or email (the contract's 400 where HTTP would say 409), a cursor that is
# well formed but was not issued by the service (it is opaque), and a mailed link's token
# that is well formed but unknown (a random one always is).
REFUSALS_OF_VALID_DATA = {
    auth.USER_EXISTS,
    *users.DUPLICATE_MESSAGES.values(),
    NOT_A_CURSOR,
    mail_routes.LINK_REFUSED,
}


def positive_data_accepted(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """schemathesis' positive-data check, except for the refusals listed above."""
    if response.status_code == 400 and _refusal(response) in REFUSALS_OF_VALID_DATA:
        return None
    return positive_data_acceptance(ctx, response, case)


def _refusal(response: schemathesis.Response) -> str:
    body = response.json()
    problems = body.get("errors") or [{}]
    return str(problems[0].get("message") if body.get("errors") else body.get("message"))


@pytest.fixture
def fuzz_app(app: Flask) -> Iterator[Flask]:
    TARGET.app = app
    yield app
    TARGET.app = TARGET.document_app


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,  # the same cases on every run, so CI is stable
    database=None,
    deadline=None,
    # One app (and database) per operation, shared by its examples, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, fuzz_app: Flask, make_user: Callable[..., User]
) -> None:
    """No 5xx; status, content type, headers and body as the document says."""
    cast_case(case, fuzz_app, make_user)
    case.call_and_validate(
        additional_checks=[missing_token_is_403, positive_data_accepted],
        excluded_checks=[missing_required_header, positive_data_acceptance],
    )

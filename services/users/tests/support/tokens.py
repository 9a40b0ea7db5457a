"""Access tokens made by hand: signed as the service signs them (its key, algorithm and
`kid`) or otherwise, for the tests of what the guards accept and refuse."""

import base64
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from flask import Flask

from users_service.auth.signing_key import current_token_keys
from users_service.auth.tokens import TokenKeys
from users_service.config import Settings

ALGORITHMS = ("RS256", "HS256")
# `pytestmark = EACH_ALGORITHM`: the module's tests run once under each algorithm.
EACH_ALGORITHM = pytest.mark.parametrize(
    "token_settings",
    [{"jwt_algorithm": name} for name in ALGORITHMS],
    ids=ALGORITHMS,
    indirect=True,
)
DEFAULT_ISSUER: str = Settings.model_fields["jwt_issuer"].default
DROP = object()  # a claim or header value meaning "leave it out"


def keys_of(app: Flask) -> TokenKeys:
    with app.app_context():
        return current_token_keys()


def claims_for(user_id: int | str, **overrides: Any) -> dict[str, Any]:
    """Claims like the service's own, with some replaced (or DROPped)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": str(user_id),
        "iat": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "typ": "access",
        "iss": DEFAULT_ISSUER,
    }
    claims.update(overrides)
    return {name: value for name, value in claims.items() if value is not DROP}


def service_header(keys: TokenKeys, **overrides: Any) -> dict[str, Any]:
    """The header the service writes (with some members replaced or DROPped)."""
    header: dict[str, Any] = {"alg": keys.algorithm, "typ": "JWT"}
    if keys.signing_kid is not None:
        header["kid"] = keys.signing_kid
    header.update(overrides)
    return {name: value for name, value in header.items() if value is not DROP}


def signed(keys: TokenKeys, claims: dict[str, Any], algorithm: str | None = None) -> str:
    """`claims` signed with the service's signing key, as the service would (or with another
    algorithm of the same family on the same key)."""
    kid = None if keys.signing_kid is None else {"kid": keys.signing_kid}
    return jwt.encode(claims, keys.signing, algorithm=algorithm or keys.algorithm, headers=kid)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_json(value: object) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def hand_built(header: dict[str, Any], payload: object, keys: TokenKeys | None) -> str:
    """A JWT assembled by hand, whatever its header and payload say, carrying the signature
    the service's key makes with its algorithm; unsigned when `keys` is None."""
    signing_input = f"{b64_json(header)}.{b64_json(payload)}"
    signature = ""
    if keys is not None:
        algorithm = jwt.get_algorithm_by_name(keys.algorithm)
        signature = b64(algorithm.sign(signing_input.encode(), algorithm.prepare_key(keys.signing)))
    return f"{signing_input}.{signature}"

"""Signed access tokens (JWT, HS256 pinned on both ends).

An access token issued with a session names its refresh-token family (`fam`), so that
revoking the family (logout, or a refresh token replayed) refuses its access tokens too;
and the account's creation time (`ucr`, in microseconds), so that it cannot authenticate a
later account that gets the same id (a restored or imported database can reuse one).
"""

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from users_service.models import clock

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti"]
ACCESS = "access"
USER_ID = re.compile(r"[1-9][0-9]{0,17}")  # a positive id that fits in BIGINT
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TokenError(Exception):
    """The token cannot be trusted; `expired` tells the two contract replies apart."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    jti: str
    expires_at: datetime
    family: str | None = None
    account: int | None = None  # absent from tokens issued before the claim existed


def account_stamp(created_at: datetime) -> int:
    """An account's creation time in whole microseconds (integers: a float would round)."""
    return (created_at - EPOCH) // timedelta(microseconds=1)


def issue_access_token(
    user_id: int,
    secret: str,
    ttl_seconds: int,
    family: str | None = None,
    *,
    account: int | None = None,
) -> str:
    issued_at = clock.now()
    claims: dict[str, object] = {
        "sub": str(user_id),
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": ACCESS,
    }
    if family is not None:
        claims["fam"] = family
    if account is not None:
        claims["ucr"] = account
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(token: str, secret: str) -> TokenClaims:
    """Verify signature, algorithm and required claims; raise TokenError on any doubt."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS}
        )
    except jwt.ExpiredSignatureError as error:
        raise TokenError(expired=True) from error
    except jwt.PyJWTError as error:
        raise TokenError() from error
    return _claims_from(claims)


def _claims_from(claims: dict[str, object]) -> TokenClaims:
    subject, jti, expiry = claims.get("sub"), claims.get("jti"), claims.get("exp")
    if (
        claims.get("typ") != ACCESS
        or not isinstance(subject, str)
        or not USER_ID.fullmatch(subject)
    ):
        raise TokenError()
    if not isinstance(jti, str) or not 0 < len(jti) <= 64 or not isinstance(expiry, int):
        raise TokenError()
    family = claims.get("fam")
    if family is not None and (not isinstance(family, str) or not 0 < len(family) <= 64):
        raise TokenError()
    account = claims.get("ucr")
    if account is not None and (type(account) is not int):
        raise TokenError()
    try:
        expires_at = datetime.fromtimestamp(expiry, UTC)
    except (OverflowError, ValueError, OSError) as error:  # signed, but past year 9999
        raise TokenError() from error
    return TokenClaims(int(subject), jti, expires_at, family, account)

"""Signed access tokens (JWT): RS256 or HS256, pinned on both ends to the one configured
algorithm, its issuer (and audience, when configured) and its published keys.

An access token issued with a session names its refresh-token family (`fam`), so that
revoking the family (logout, or a refresh token replayed) refuses its access tokens too;
the account's creation time (`ucr`, in microseconds), so that it cannot authenticate a
later account that gets the same id (a restored or imported database can reuse one); and
the account's session generation (`gen`), so that ending every session refuses it.
"""

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from users_service import clock

REQUIRED_CLAIMS = ["exp", "iat", "sub", "jti", "iss"]
ACCESS = "access"
USER_ID = re.compile(r"[1-9][0-9]{0,17}")  # a positive id that fits in BIGINT
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Tokens a worker remembers as verified (about 1 KiB each under RS256).
VERIFIED_TOKENS_KEPT = 1024


class TokenError(Exception):
    """The token cannot be trusted; `expired` tells the two contract replies apart."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class TokenKeys:
    """What signs and verifies access tokens: one algorithm, one issuer, an optional
    audience, the signing key and its `kid`, and the accepted keys by `kid` (HS256 has one
    shared secret and no `kid`)."""

    algorithm: str
    issuer: str
    audience: str | None
    # Out of the repr: under HS256 both hold the secret, and a repr can reach a log.
    signing: str | rsa.RSAPrivateKey = field(repr=False)
    signing_kid: str | None
    verifying: Mapping[str | None, str | rsa.RSAPublicKey] = field(repr=False)

    def verifying_key(self, header: Mapping[str, Any]) -> str | rsa.RSAPublicKey:
        """The key a token's header names; an unknown or missing `kid` is an invalid token."""
        kid = header.get("kid") if self.signing_kid is not None else None
        if not (kid is None or isinstance(kid, str)) or kid not in self.verifying:
            raise TokenError()
        return self.verifying[kid]

    def published(self) -> dict[str, rsa.RSAPublicKey]:
        """The public keys by `kid`, in their configured order (none under HS256)."""
        return {
            kid: key
            for kid, key in self.verifying.items()
            if kid is not None and isinstance(key, rsa.RSAPublicKey)
        }


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    jti: str
    expires_at: datetime
    family: str | None = None
    account: int | None = None  # absent from tokens issued before the claim existed
    generation: int = 0  # likewise; 0 is the generation every account starts in


def account_stamp(created_at: datetime) -> int:
    """An account's creation time in whole microseconds (integers: a float would round)."""
    return (created_at - EPOCH) // timedelta(microseconds=1)


def issue_access_token(
    user_id: int,
    keys: TokenKeys,
    ttl_seconds: int,
    family: str | None = None,
    *,
    account: int | None = None,
    generation: int = 0,
) -> str:
    issued_at = clock.now()
    claims: dict[str, object] = {
        "sub": str(user_id),
        "iat": int(issued_at.timestamp()),
        "exp": int((issued_at + timedelta(seconds=ttl_seconds)).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": ACCESS,
        "iss": keys.issuer,
    }
    if keys.audience is not None:
        claims["aud"] = keys.audience
    if family is not None:
        claims["fam"] = family
    if account is not None:
        claims["ucr"] = account
    if generation:
        claims["gen"] = generation
    headers = None if keys.signing_kid is None else {"kid": keys.signing_kid}
    return jwt.encode(claims, keys.signing, algorithm=keys.algorithm, headers=headers)


def decode_access_token(token: str, keys: TokenKeys) -> TokenClaims:
    """Verify key, signature, algorithm, issuer, audience and required claims; raise
    TokenError on any doubt."""
    required = REQUIRED_CLAIMS if keys.audience is None else [*REQUIRED_CLAIMS, "aud"]
    try:
        claims = jwt.decode(
            token,
            keys.verifying_key(jwt.get_unverified_header(token)),
            algorithms=[keys.algorithm],
            issuer=keys.issuer,
            audience=keys.audience,
            options={"require": required},
        )
    except jwt.ExpiredSignatureError as error:
        raise TokenError(expired=True) from error
    except jwt.PyJWTError as error:
        raise TokenError() from error
    return _claims_from(claims)


class AccessTokenVerifier:
    """`decode_access_token` that remembers the tokens it has verified, until they expire.

    A client sends the same access token with every request until it expires; verifying it
    again each time (an RSA signature, and PyJWT's parsing of the token twice) cost more
    than the database read that follows. Only tokens that passed every check are kept, at
    most VERIFIED_TOKENS_KEPT, the least recently used leaving first, and each is checked
    for expiry again at each use. Revocation is not decided here: the guard asks the
    database on every request."""

    def __init__(self, keys: TokenKeys, kept: int = VERIFIED_TOKENS_KEPT) -> None:
        self.keys = keys
        self._verified = functools.lru_cache(maxsize=kept)(self._verify)

    def claims(self, token: str) -> TokenClaims:
        claims = self._verified(token)
        if clock.now() >= claims.expires_at:  # as PyJWT decides it: expired at `exp`
            raise TokenError(expired=True)
        return claims

    @property
    def remembered(self) -> int:
        return self._verified.cache_info().currsize

    def _verify(self, token: str) -> TokenClaims:
        return decode_access_token(token, self.keys)


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
    generation = claims.get("gen", 0)
    if type(generation) is not int or generation < 0:
        raise TokenError()
    try:
        expires_at = datetime.fromtimestamp(expiry, UTC)
    except (OverflowError, ValueError, OSError) as error:  # signed, but past year 9999
        raise TokenError() from error
    return TokenClaims(int(subject), jti, expires_at, family, account, generation)

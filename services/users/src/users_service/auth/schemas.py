"""The auth routes' wire format: credentials, refresh tokens, the token pair replies, and the
published keys (/.well-known/)."""

from typing import Annotated, Literal

from pydantic import Field, StrictStr, StringConstraints

from users_service.models.user import EMAIL_MAX
from users_service.users.schemas import NewPassword
from users_service.web.wire import HttpDate, Message, Reply, RequestModel


class Login(RequestModel):
    """POST /auth/login"""

    email: StrictStr
    password: StrictStr


class TokenRefresh(RequestModel):
    """POST /auth/refresh"""

    refresh_token: Annotated[StrictStr, StringConstraints(min_length=1, max_length=512)]


MailedToken = Annotated[
    StrictStr,
    StringConstraints(min_length=1, max_length=128),
    Field(description="The `token` of the link's query string."),
]


class PasswordResetRequest(RequestModel):
    """POST /auth/password-reset"""

    email: Annotated[StrictStr, StringConstraints(max_length=EMAIL_MAX)]


class PasswordReset(RequestModel):
    """POST /auth/password-reset/confirm; validated with the settings as context."""

    token: MailedToken
    new_password: NewPassword


class EmailVerification(RequestModel):
    """POST /auth/verify-email"""

    token: MailedToken


class PasswordChange(RequestModel):
    """POST /auth/password; validated with the settings as context."""

    current_password: StrictStr
    new_password: NewPassword


class SessionView(Reply):
    """A live session: what one login started."""

    id: str = Field(description="Give it to DELETE /auth/sessions/{session_id} to end it.")
    created_at: HttpDate = Field(description="When the login happened.")
    last_used_at: HttpDate = Field(description="When its tokens were last issued or refreshed.")
    expires_at: HttpDate = Field(description="When it ends unless refreshed before.")
    user_agent: str | None = Field(description="The login's User-Agent, if it sent one.")
    ip: str | None = Field(description="The address the login came from.")
    current: bool = Field(description="Whether this is the session of the token making the call.")


class SessionList(Reply):
    sessions: list[SessionView]
    more: bool = Field(description="Whether older live sessions exist beyond those listed.")


class SessionsReply(Reply):
    """The caller's live sessions, newest first."""

    status: Literal["success"] = "success"
    data: SessionList


class TokenPairReply(Message):
    """A success that starts or renews a session: an access token and a refresh token."""

    auth_token: str = Field(description="A JWT to send as `Authorization: Bearer <token>`.")
    refresh_token: str = Field(
        description="Opaque and single use: POST it to /auth/refresh for a new pair."
    )
    expires_in: int = Field(description="Seconds until the access token expires (RFC 6749).")
    token_type: Literal["Bearer"] = Field("Bearer", description="How to send `auth_token`.")


class PublicJwk(Reply):
    """A public key that verifies access tokens (RFC 7517), named by its RFC 7638 thumbprint."""

    kty: Literal["RSA"]
    kid: str = Field(description="The key's RFC 7638 thumbprint; tokens name it in `kid`.")
    alg: Literal["RS256"]
    use: Literal["sig"]
    n: str = Field(description="The modulus, base64url.")
    e: str = Field(description="The public exponent, base64url.")


class JwksReply(Reply):
    """The keys that verify access tokens: empty under HS256 (a shared secret)."""

    keys: list[PublicJwk]


class DiscoveryReply(Reply):
    """Where middleware that discovers keys finds them (an OpenID Connect discovery subset)."""

    issuer: str = Field(description="The `iss` of every access token (JWT_ISSUER).")
    jwks_uri: str = Field(description="The absolute URL of /.well-known/jwks.json.")

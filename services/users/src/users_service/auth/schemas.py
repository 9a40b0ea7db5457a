"""The auth routes' wire format: credentials, refresh tokens, and the token pair replies."""

from typing import Annotated

from pydantic import Field, StrictStr, StringConstraints

from users_service.web.wire import Message, RequestModel


class Login(RequestModel):
    """POST /auth/login"""

    email: StrictStr
    password: StrictStr


class TokenRefresh(RequestModel):
    """POST /auth/refresh"""

    refresh_token: Annotated[StrictStr, StringConstraints(min_length=1, max_length=512)]


class TokenPairReply(Message):
    """A success that starts or renews a session: an access token and a refresh token."""

    auth_token: str = Field(description="A JWT to send as `Authorization: Bearer <token>`.")
    refresh_token: str = Field(
        description="Opaque and single use: POST it to /auth/refresh for a new pair."
    )

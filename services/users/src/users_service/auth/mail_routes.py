"""The routes that mail a link and the routes the link leads to: password reset and email
verification (docs/mail.md says how mail is sent)."""

from flask import Blueprint, Response

from users_service.auth import mailed_tokens
from users_service.auth.guards import current_user, login_required
from users_service.auth.passwords import current_hasher
from users_service.auth.rate_limits import limit_request
from users_service.auth.schemas import EmailVerification, PasswordReset, PasswordResetRequest
from users_service.config import current_settings
from users_service.meta.openapi import documented
from users_service.meta.openapi.standard import RATE_LIMITED, error_reply
from users_service.models.database import db
from users_service.users import accounts, identities
from users_service.web.errors import ApiError
from users_service.web.security_log import Event, security_event
from users_service.web.wire import Message, parse_body, reply

bp = Blueprint("mail", __name__, url_prefix="/auth")
ON_ITS_WAY = "If the address belongs to an account, a message with a link is on its way."
LINK_REFUSED = "The link is invalid, expired or already used."
VERIFICATION_SENT = "A message with a link is on its way."
ALREADY_VERIFIED = "The email address is already verified."
REFUSED_LINK = error_reply("An unknown, expired, used or malformed token.", LINK_REFUSED)


@bp.post("/password-reset")
@documented(
    "Ask for a password reset", body=PasswordResetRequest, replies={202: Message, 429: RATE_LIMITED}
)
def request_password_reset() -> tuple[Response, int]:
    """Mail a reset link to the account with this email, if there is an active one. The
    reply, and the time it takes, are the same whether or not there is. Limited per client
    address and per email."""
    key = identities.email_key(parse_body(PasswordResetRequest).email)
    limit_request("password_reset", key)
    user = accounts.find_by_key(db.reads, key)
    if user is not None and user.active:
        mailed_tokens.mail_reset_link(user.id)
    security_event(Event.PASSWORD_RESET_REQUESTED, user.id if user else None)
    return reply(Message(message=ON_ITS_WAY), 202)


@bp.post("/password-reset/confirm")
@documented("Reset the password", body=PasswordReset, replies={200: Message, 400: REFUSED_LINK})
def reset_password() -> tuple[Response, int]:
    """Set a new password with the token of a reset link (the password policy applies).
    Every session of the account ends. A token works once, for PASSWORD_RESET_TTL_SECONDS,
    and only the newest one mailed."""
    reset = parse_body(PasswordReset, context=current_settings())
    user = mailed_tokens.reset_password(
        db.session, current_hasher(), reset.token, reset.new_password
    )
    if user is None:
        raise ApiError(400, LINK_REFUSED)
    security_event(Event.PASSWORD_RESET_COMPLETED, user.id)
    return reply(Message(message="Password changed. Log in with the new password."))


@bp.post("/verify-email")
@documented("Verify the email", body=EmailVerification, replies={200: Message, 400: REFUSED_LINK})
def verify_email() -> tuple[Response, int]:
    """Confirm the address with the token of a verification link. A token works once, and
    only for the address it was mailed to."""
    user = mailed_tokens.verify_email(db.session, parse_body(EmailVerification).token)
    if user is None:
        raise ApiError(400, LINK_REFUSED)
    security_event(Event.EMAIL_VERIFIED, user.id)
    return reply(Message(message="Email address verified."))


@bp.post("/verify-email/resend")
@documented("Mail a new verification link", replies={200: Message, 202: Message, 429: RATE_LIMITED})
@login_required
def resend_verification() -> tuple[Response, int]:
    """Mail a new verification link to the caller's address (202), unless it is verified
    already (200). Limited per client address and per user."""
    user = current_user()
    if user.email_verified:
        return reply(Message(message=ALREADY_VERIFIED))
    limit_request("verify_email", str(user.id))
    mailed_tokens.mail_verification_link(user.id)
    return reply(Message(message=VERIFICATION_SENT), 202)

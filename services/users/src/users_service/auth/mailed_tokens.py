"""Password resets and address verification: the links mailed to an account, and what
following one does.

Composing a mail issues its token, so it runs in the outbox's background job
(users_service.mail), not in the request: a request that asks for a mail does the same work
whether or not the account exists, and never waits for the database's write or the mail
server.
"""

from html import escape
from urllib.parse import urlencode

from flask import Response, after_this_request
from sqlalchemy.orm import Session

from users_service.auth import sessions
from users_service.auth.passwords import PasswordHasher
from users_service.config import Settings, current_settings
from users_service.mail import Job, Message, current_outbox
from users_service.models import AccountToken, Purpose, User
from users_service.models.database import db

RESET_PATH = "/reset-password"
VERIFY_PATH = "/verify-email"


def mail_reset_link(user_id: int) -> None:
    """Mail the account a new reset link, once this request's reply has been sent."""
    _after_reply(lambda: reset_mail(db.session, current_settings(), user_id))


def mail_verification_link(user_id: int) -> None:
    """Mail the account's current address a new verification link, once this request's
    reply has been sent."""
    _after_reply(lambda: verification_mail(db.session, current_settings(), user_id))


def _after_reply(job: Job) -> None:
    """Queue `job` in the worker's outbox when the server closes the reply, that is once it
    is sent: the background work cannot slow the reply, so a reply's timing tells nothing
    of whether a mail followed it. (A full outbox drops the job, and logs it.)"""
    outbox = current_outbox()

    @after_this_request
    def queue_when_sent(response: Response) -> Response:
        response.call_on_close(lambda: outbox.submit(job))
        return response


def reset_mail(session: Session, settings: Settings, user_id: int) -> Message | None:
    """Issue a reset token for an active account (forgetting earlier ones) and compose its
    mail; None when there is nothing to send."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    ttl = settings.password_reset_ttl_seconds
    token = AccountToken.issue(session, user.id, Purpose.PASSWORD_RESET, user.email, ttl)
    session.commit()
    link = _link(settings, RESET_PATH, token)
    return _message(
        user.email,
        "Reset your password",
        f"Someone asked to reset the password of {user.username}. If it was you, choose a "
        f"new password within {ttl // 60} minutes",
        link,
        "If it was not you, ignore this message: your password has not changed.",
    )


def verification_mail(session: Session, settings: Settings, user_id: int) -> Message | None:
    """Issue a token proving the account's current address and compose its mail; None when
    the address is already verified or the account is gone."""
    user = session.get(User, user_id)
    if user is None or user.email_verified:
        return None
    ttl = settings.email_verification_ttl_seconds
    token = AccountToken.issue(session, user.id, Purpose.VERIFY_EMAIL, user.email, ttl)
    session.commit()
    return _message(
        user.email,
        "Confirm your email address",
        f"Confirm that this address belongs to {user.username} within {ttl // 3600} hours",
        _link(settings, VERIFY_PATH, token),
        "If you did not sign up, ignore this message.",
    )


def reset_password(
    session: Session, hasher: PasswordHasher, token: str, password: str
) -> User | None:
    """Spend a reset token: set the new password (already validated) and end every session
    of the account. None, changing nothing but the token, when the token is unknown,
    expired, spent, or its account gone or deactivated.

    The token is spent and committed first, and the password hashed after, outside any
    transaction: a hash takes long, and refused tokens cost no hashing at all."""
    spent = AccountToken.spend(session, token, Purpose.PASSWORD_RESET)
    session.commit()
    if spent is None:
        return None
    user_id, mailed_to = spent
    password_hash = hasher.hash(password)
    user = session.get(User, user_id)
    if user is None or not user.active:
        session.commit()
        return None
    user.password_hash = password_hash
    user.email_verified = user.email_verified or user.email == mailed_to  # the link proves it
    AccountToken.forget(session, user.id, Purpose.PASSWORD_RESET)
    sessions.end_all(session, user)
    session.commit()
    return user


def verify_email(session: Session, token: str) -> User | None:
    """Spend a verification token: the address it was mailed to is verified, if it is still
    the account's. None otherwise."""
    spent = AccountToken.spend(session, token, Purpose.VERIFY_EMAIL)
    if spent is None:
        return None
    user_id, mailed_to = spent
    user = session.get(User, user_id)
    if user is None or user.email != mailed_to:
        session.commit()
        return None
    user.email_verified = True
    AccountToken.forget(session, user.id, Purpose.VERIFY_EMAIL)
    session.commit()
    return user


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.public_app_url.rstrip('/')}{path}?{urlencode({'token': token})}"


def _message(to: str, subject: str, ask: str, link: str, otherwise: str) -> Message:
    """The same words as plain text and as HTML; never a password."""
    text = f"{ask}:\n\n{link}\n\n{otherwise}\n"
    html = (
        f"<p>{escape(ask)}:</p>\n"
        f'<p><a href="{escape(link)}">{escape(link)}</a></p>\n'
        f"<p>{escape(otherwise)}</p>\n"
    )
    return Message(to=to, subject=subject, text=text, html=html)

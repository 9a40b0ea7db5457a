"""The caller's sessions: list them, end one, end them all, and change the password (which
ends every other one)."""

import re

from flask import Blueprint, Response

from users_service.auth import sessions
from users_service.auth.guards import (
    WRONG_PASSWORD,
    confirm_password,
    current_account,
    current_claims,
    current_user,
    login_required,
)
from users_service.auth.passwords import current_hasher
from users_service.auth.routes import pair_reply, signer, start_session, token_pair_replies
from users_service.auth.schemas import PasswordChange, SessionList, SessionsReply, SessionView
from users_service.auth.tokens import TokenError
from users_service.config import current_settings
from users_service.meta.openapi import documented
from users_service.meta.openapi.standard import error_reply
from users_service.models import LoginSession
from users_service.models.database import db
from users_service.users import accounts
from users_service.web.errors import ApiError
from users_service.web.security_log import Event, security_event
from users_service.web.wire import Message, parse_body, reply

bp = Blueprint("sessions", __name__, url_prefix="/auth")
NO_SUCH_SESSION = "Session does not exist."
# A reply's bound: an account that logs in in a loop keeps its sessions, but lists the newest.
SESSIONS_LISTED = 100
WRONG_CURRENT_PASSWORD = error_reply("The current password is wrong.", WRONG_PASSWORD)
SESSION_ID = re.compile(r"[0-9a-f]{32}")


@bp.get("/sessions")
@documented("List sessions", replies={200: SessionsReply})
@login_required
def list_sessions() -> tuple[Response, int]:
    """The caller's live sessions, newest first: one per login not yet ended or expired. The
    newest 100 are listed; `more` tells whether there are older ones."""
    user, family = current_user(), current_claims().family
    rows = LoginSession.live_of(db.reads, user.id, user.session_generation, SESSIONS_LISTED + 1)
    views = [_view(row, current=row.id == family) for row in rows[:SESSIONS_LISTED]]
    return reply(SessionsReply(data=SessionList(sessions=views, more=len(rows) > SESSIONS_LISTED)))


def _view(row: LoginSession, current: bool) -> SessionView:
    return SessionView(
        id=row.id,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
        user_agent=row.user_agent,
        ip=row.ip,
        current=current,
    )


@bp.delete("/sessions/<session_id>")
@documented(
    "End a session",
    replies={200: Message, 404: error_reply("Not one of the caller's sessions.", NO_SUCH_SESSION)},
    path={"session_id": "The `id` of one of the caller's sessions."},
)
@login_required
def end_session(session_id: str) -> tuple[Response, int]:
    """End one of the caller's sessions: its refresh tokens and its access tokens stop
    working at once, on every instance."""
    ended = SESSION_ID.fullmatch(session_id) and sessions.end_session(
        db.session, signer(), current_user().id, session_id
    )
    if not ended:
        raise ApiError(404, NO_SUCH_SESSION)
    db.session.commit()
    security_event(Event.SESSION_ENDED, current_user().id)
    return reply(Message(message="Session ended."))


@bp.delete("/sessions")
@documented("End every session", replies={200: Message})
@login_required
def end_every_session() -> tuple[Response, int]:
    """Log out everywhere: every session of the caller ends, this one included."""
    user = current_account(db.session)
    sessions.end_all(db.session, user)
    db.session.commit()
    security_event(Event.SESSIONS_ENDED, user.id)
    return reply(Message(message="Every session ended."))


@bp.post("/password")
@documented(
    "Change the password",
    body=PasswordChange,
    replies=token_pair_replies(200, 403, WRONG_CURRENT_PASSWORD),
)
@login_required
def change_password() -> tuple[Response, int]:
    """Set a new password (the password policy applies) given the current one. Every other
    session ends; this one continues with the fresh token pair of the reply. Limited per
    client address and per user."""
    change = parse_body(PasswordChange, context=current_settings())
    user = confirm_password(change.current_password)
    family = current_claims().family
    accounts.change_password(db.session, current_hasher(), user, change.new_password, keep=family)
    security_event(Event.PASSWORD_CHANGED, user.id)
    try:
        pair = sessions.renew(db.session, signer(), user, family or "")
    except TokenError:  # this session ended meanwhile (or predates sessions): a new one
        pair = start_session(user)
    return pair_reply("Password changed.", pair)

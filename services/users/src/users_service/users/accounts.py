"""Account operations shared by the API and the CLI: create, authenticate, promote."""

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from users_service.auth.passwords import PasswordHasher
from users_service.models import User


class DuplicateUserError(Exception):
    """The username or the email (case-insensitively) belongs to another account."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} already taken")
        self.field = field


def create_user(
    session: Session,
    hasher: PasswordHasher,
    *,
    username: str,
    email: str,
    password: str,
    admin: bool = False,
) -> User:
    """Insert a user (already validated); the unique indexes decide races, so concurrent
    duplicates lose cleanly."""
    _refuse_duplicate(session, username, email)
    user = User(username=username, email=email, admin=admin, password_hash=hasher.hash(password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        _refuse_duplicate(session, username, email)
        raise DuplicateUserError("email") from error
    return user


def _refuse_duplicate(session: Session, username: str, email: str) -> None:
    clash = session.scalars(
        select(User).where(
            or_(
                func.lower(User.email) == func.lower(email),
                func.lower(User.username) == func.lower(username),
            )
        )
    ).first()
    if clash is not None:
        same_email = clash.email.lower() == email.lower()
        raise DuplicateUserError("email" if same_email else "username")


def find_by_email(session: Session, email: str) -> User | None:
    if "\x00" in email:  # PostgreSQL text cannot hold NUL: no stored email has one
        return None
    return session.scalars(select(User).where(func.lower(User.email) == func.lower(email))).first()


def authenticate(
    session: Session, hasher: PasswordHasher, email: str, password: str
) -> User | None:
    """The user whose credentials these are, if active; same cost whether or not it exists."""
    user = find_by_email(session, email)
    verification = hasher.verify(user.password_hash if user else None, password)
    if user is None or not verification.ok or not user.active:
        return None
    if verification.new_hash:
        user.password_hash = verification.new_hash
        session.commit()
    return user


def ensure_admin(
    session: Session, hasher: PasswordHasher, *, username: str, email: str, password: str
) -> tuple[User, bool]:
    """Promote the account with this email, or create it as an admin; True when created."""
    user = find_by_email(session, email)
    if user is None:
        created = create_user(
            session, hasher, username=username, email=email, password=password, admin=True
        )
        return created, True
    user.admin, user.active = True, True
    session.commit()
    return user, False

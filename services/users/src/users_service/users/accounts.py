"""Account operations shared by the API and the CLI: create, authenticate, change, promote,
deactivate and delete.

Accounts are found and kept unique by their canonical keys (users/identities.py), never by
the spelling a client sent.
"""

from contextlib import suppress

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from users_service.auth import sessions
from users_service.auth.passwords import PasswordHasher
from users_service.files.storage import Storage, StorageUnavailableError
from users_service.models import AccountToken, Purpose, StoredFile, User
from users_service.models.user import EMAIL_MAX
from users_service.users.identities import IdentityKeys, email_key, keys_of


class DuplicateUserError(Exception):
    """The username or the email (in canonical form) belongs to another account."""

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
    keys = keys_of(username, email)
    _refuse_duplicate(session, keys)
    release_before_hashing(session)
    user = User(
        username=username,
        email=email,
        username_key=keys.username,
        email_key=keys.email,
        admin=admin,
        password_hash=hasher.hash(password),
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        _refuse_duplicate(session, keys)
        raise DuplicateUserError("email") from error
    return user


def update_account(
    session: Session,
    user: User,
    *,
    username: str | None = None,
    email: str | None = None,
    active: bool | None = None,
    admin: bool | None = None,
) -> None:
    """Change the username and/or the email (already validated, under the uniqueness rules
    of registration; the unique indexes decide races), and activate, deactivate, promote or
    demote, in one transaction (committed here): a refusal of any part changes nothing.
    Deactivating ends every session of the user; reactivating does not bring them back."""
    keys = keys_of(username or user.username, email or user.email)
    _refuse_duplicate(session, keys, other_than=user.id)
    _change_standing(session, user, active, admin)
    if email is not None and email != user.email:  # a new address is not verified yet
        user.email_verified = False
        AccountToken.forget(session, user.id, Purpose.VERIFY_EMAIL)
    user.username, user.username_key = username or user.username, keys.username
    user.email, user.email_key = email or user.email, keys.email
    try:
        session.commit()
    except IntegrityError as error:
        session.rollback()
        _refuse_duplicate(session, keys, other_than=user.id)
        raise DuplicateUserError("email") from error


def _refuse_duplicate(session: Session, keys: IdentityKeys, other_than: int | None = None) -> None:
    clash = session.scalars(
        select(User).where(
            or_(User.email_key == keys.email, User.username_key == keys.username),
            User.id != (other_than or 0),
        )
    ).first()
    if clash is not None:
        raise DuplicateUserError("email" if clash.email_key == keys.email else "username")


def find_by_email(session: Session, email: str) -> User | None:
    return find_by_key(session, email_key(email))


def find_by_key(session: Session, key: str) -> User | None:
    """The account whose canonical email is `key`."""
    # PostgreSQL text cannot hold NUL, and no stored key is longer than its column.
    if "\x00" in key or len(key) > EMAIL_MAX:
        return None
    return session.scalars(select(User).where(User.email_key == key)).first()


def authenticate(
    session: Session, hasher: PasswordHasher, user: User | None, password: str
) -> User | None:
    """`user` if the password is its own and it is active; every refusal costs the same,
    whether or not the account exists and whichever hash it has."""
    stored = user.password_hash if user else None
    legacy_cost = hasher.legacy_cost.get(lambda: stored_bcrypt_cost(session))
    release_before_hashing(session)
    verification = hasher.verify(stored, password, legacy_cost)
    if user is None or not verification.ok:
        return None
    if not user.active:  # right password, refused: pay what a wrong one costs
        hasher.pay_refusal(stored, legacy_cost)
        return None
    if verification.outdated:
        user.password_hash = hasher.hash(password)
        session.commit()
    return user


def release_before_hashing(session: Session) -> None:
    """End the session's transaction, giving its connection back to the pool: a hash takes
    longer than most requests, and a connection held meanwhile would be one that other
    requests wait for (a burst of logins would empty the pool). What was read stays loaded;
    the writes that follow the hash begin a transaction of their own."""
    session.commit()


def stored_bcrypt_cost(session: Session) -> int | None:
    """The highest cost among the bcrypt hashes (imported from the reference) still stored;
    None when none remain. Reads the whole table: called once per LEGACY_RECHECK_SECONDS."""
    costs = session.scalars(
        select(func.substr(User.password_hash, 5, 2))
        .where(User.password_hash.like("$2_$%"))
        .distinct()
    )
    valid = [int(cost) for cost in costs if cost.isdigit() and 4 <= int(cost) <= 31]
    return max(valid, default=None)


def change_password(
    session: Session, hasher: PasswordHasher, user: User, password: str, *, keep: str | None
) -> None:
    """Set a new password (already validated) and end every session of the user but `keep`
    (committed here); a reset link mailed earlier stops working."""
    user.password_hash = hasher.hash(password)
    AccountToken.forget(session, user.id, Purpose.PASSWORD_RESET)
    sessions.end_all(session, user, keep=keep)
    session.commit()


def record_login(user: User, address_digest: str) -> None:
    """Remember where this successful login came from (committed by the caller); written
    only when it changed, so a returning owner costs no write."""
    if user.last_login_from != address_digest:
        user.last_login_from = address_digest


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


class LastAdminError(Exception):
    """The change would leave the service without an active admin."""


def _change_standing(session: Session, user: User, active: bool | None, admin: bool | None) -> None:
    if user.admin and user.active and False in (active, admin):
        _keep_another_admin(session, user)
    if active is False and user.active:
        sessions.end_all(session, user)
    user.active = user.active if active is None else active
    user.admin = user.admin if admin is None else admin


def delete_user(session: Session, user: User, storage: Storage) -> None:
    """Delete the account, its sessions and its files (committed here). Content in S3 is
    deleted afterwards; what a failure leaves behind is an orphan for `clean-orphans`."""
    if user.admin and user.active:
        _keep_another_admin(session, user)
    keys = session.scalars(
        select(StoredFile.storage_key).where(
            StoredFile.uploader_id == user.id, StoredFile.storage_key.is_not(None)
        )
    ).all()
    session.execute(delete(StoredFile).where(StoredFile.uploader_id == user.id))
    session.delete(user)
    session.commit()
    with suppress(StorageUnavailableError):
        storage.discard([key for key in keys if key is not None])


def _keep_another_admin(session: Session, user: User) -> None:
    """Refuse unless an active admin other than `user` remains. The active admins are
    locked (PostgreSQL), so two admins demoting each other at once cannot both succeed: the
    second sees the first's change once it commits."""
    admins = session.scalars(
        select(User.id)
        .where(User.admin.is_(True), User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).all()
    if not set(admins) - {user.id}:
        session.rollback()
        raise LastAdminError()

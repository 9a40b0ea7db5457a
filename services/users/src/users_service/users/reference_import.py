"""Copy the users of a reference-service database into this one, ids and hashes intact.

The reference stored bcrypt hashes in `users.password`; they log in here unchanged and are
upgraded to argon2id at each user's next login. Rows whose email or username has the same
canonical form (users/identities.py: NFKC and case folding) as one already present (the
reference compared exact strings) are skipped and reported, never merged.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from users_service.config import normalize_database_url
from users_service.models import User
from users_service.models.user import EMAIL_MAX, USERNAME_MAX
from users_service.users.identities import IdentityKeys, keys_of


@dataclass
class ImportReport:
    imported: int = 0
    skipped: list[str] = field(default_factory=list)


def import_reference_users(session: Session, source_url: str) -> ImportReport:
    report = ImportReport()
    taken = _taken_keys(session)
    for row in _reference_rows(source_url):
        identity = keys_of(row["username"], row["email"])
        keys = {("id", row["id"]), ("email", identity.email), ("username", identity.username)}
        problem = _too_long(identity) or _taken(keys & taken)
        if problem:
            report.skipped.append(f"{row['email']}: {problem}")
            continue
        session.add(_user_from(row, identity))
        taken |= keys
        report.imported += 1
    session.commit()
    _advance_id_sequence(session)
    return report


def _too_long(identity: IdentityKeys) -> str | None:
    if len(identity.username) > USERNAME_MAX or len(identity.email) > EMAIL_MAX:
        return "username or email too long once normalised"
    return None


def _taken(clash: set[tuple[str, object]]) -> str | None:
    return f"{', '.join(sorted(kind for kind, _ in clash))} taken" if clash else None


def _reference_rows(source_url: str) -> list[dict[str, Any]]:
    engine = create_engine(normalize_database_url(source_url))
    try:
        columns = {column["name"] for column in inspect(engine).get_columns("users")}
        admin = "admin" if "admin" in columns else "false AS admin"  # added late in the course
        query = text(
            f"SELECT id, username, email, password, active, {admin}, created_at "  # noqa: S608
            "FROM users ORDER BY id"
        )
        with engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]
    finally:
        engine.dispose()


def _taken_keys(session: Session) -> set[tuple[str, object]]:
    rows = session.execute(select(User.id, User.email_key, User.username_key))
    keys: set[tuple[str, object]] = set()
    for user_id, email, username in rows:
        keys |= {("id", user_id), ("email", email), ("username", username)}
    return keys


def _user_from(row: dict[str, Any], identity: IdentityKeys) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        email=row["email"],
        username_key=identity.username,
        email_key=identity.email,
        password_hash=row["password"],
        active=bool(row["active"]),
        admin=bool(row["admin"]),
        created_at=_as_utc(row["created_at"]),
    )


def _as_utc(value: datetime | str) -> datetime:
    # The reference stored naive UTC timestamps (SQLite hands them back as text).
    stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
    return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


def _advance_id_sequence(session: Session) -> None:
    """Explicit ids leave PostgreSQL's sequence behind; move it past the highest id."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('users', 'id'), "
                "(SELECT COALESCE(MAX(id), 1) FROM users))"
            )
        )
        session.commit()

"""What an upload or a download must get before it runs: a transfer slot in this worker,
and for an upload a place in the account's rate and quota.

All of it happens before the body is read, and the transactions it needs are ended at
once: an upload waiting on its client holds no database connection.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from users_service.auth import rate_limits
from users_service.config import Settings
from users_service.files.storage import quota
from users_service.files.transfers import current_transfer_slots

UPLOAD_SCOPE = "upload:account"


def take_slot(user_id: int) -> Callable[[], None]:
    """A transfer slot (UserBusyError, WorkerBusyError: the blueprint answers 429 or 503);
    returns its release."""
    return current_transfer_slots().take(user_id)


@contextmanager
def transfer_slot(user_id: int) -> Iterator[None]:
    release = take_slot(user_id)
    try:
        yield
    finally:
        release()


def admit_upload(session: Session, user_id: int, settings: Settings) -> quota.Allowance:
    """Count the upload against RATE_LIMIT_UPLOAD_PER_ACCOUNT (429) and refuse an account
    with no room left (413); what it has left, to check the file against once received."""
    if settings.rate_limits_enabled:
        # The shared limiter of login, register and refresh, one bucket per user id.
        rate_limits.limit(UPLOAD_SCOPE, str(user_id), settings.rate_limit_upload_per_account)
    allowance = quota.allowance(session, user_id, settings.files_quota_bytes_per_user)
    # A read only, ended here: no transaction may stay open while the body is read.
    session.rollback()
    allowance.check(1)
    return allowance

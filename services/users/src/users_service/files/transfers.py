"""How many file transfers (uploads and downloads) a worker process runs at once.

Each transfer holds some memory for as long as it lasts (a chunk on its way, the multipart
parser's buffers, an S3 connection), and a client decides how long that is. Counting them
per process, in all and per user, is what bounds a worker's memory (docs/api.md, Uploads),
and keeps one account from taking every slot. Counted in memory: each gunicorn worker has
its own counts, which is the unit the memory bound is about.
"""

import threading
from collections import Counter
from collections.abc import Callable

from flask import current_app

from users_service.config import current_settings

EXTENSION_KEY = "users_service.file_transfers"


class WorkerBusyError(Exception):
    """This worker already runs its FILES_TRANSFERS_PER_WORKER transfers."""


class UserBusyError(Exception):
    """This user already runs FILES_TRANSFERS_PER_USER transfers in this worker."""


class TransferSlots:
    def __init__(self, per_worker: int, per_user: int) -> None:
        self.per_worker, self.per_user = per_worker, per_user
        self._by_user: Counter[int] = Counter()
        # Greenlets switch only on I/O, but threaded servers (flask run) need the lock.
        self._lock = threading.Lock()

    def take(self, user_id: int) -> Callable[[], None]:
        """A slot for this user, or UserBusyError / WorkerBusyError; returns its release,
        which may be called more than once."""
        with self._lock:
            if self._by_user[user_id] >= self.per_user:
                raise UserBusyError(user_id)
            if self.in_use() >= self.per_worker:
                raise WorkerBusyError()
            self._by_user[user_id] += 1
        held = True

        def release() -> None:
            nonlocal held
            with self._lock:
                if held:
                    held = False
                    self._by_user[user_id] -= 1
                    if not self._by_user[user_id]:
                        del self._by_user[user_id]

        return release

    def in_use(self) -> int:
        return self._by_user.total()


def current_transfer_slots() -> TransferSlots:
    """This application's slots, made on first use (each worker process builds its app)."""
    slots: TransferSlots | None = current_app.extensions.get(EXTENSION_KEY)
    if slots is None:
        settings = current_settings()
        slots = TransferSlots(
            settings.files_transfers_per_worker, settings.files_transfers_per_user
        )
        slots = current_app.extensions.setdefault(EXTENSION_KEY, slots)
    return slots

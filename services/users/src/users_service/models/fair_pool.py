"""A connection pool that serves requests in the order they asked, and turns a request away
at once when too many are already waiting.

SQLAlchemy's QueuePool lets a request that arrives just as a connection comes back take it
ahead of those already waiting, so under overload some requests wait out the whole pool
timeout and fail while later ones are served. Here every checkout passes a first-come,
first-served gate with one permit per connection the pool may open: a returned connection's
permit goes straight to the oldest waiter. A request that finds DB_POOL_QUEUE_MAX others
waiting is refused at once (a 503 with Retry-After) rather than after the timeout.
"""

import threading
from collections import deque
from typing import Any, ClassVar

from sqlalchemy import exc
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool


class PoolBusyError(exc.TimeoutError):
    """Too many requests are already waiting for a database connection."""


class FifoGate:
    """Permits handed out first come, first served; never to a later arrival while an
    earlier one waits."""

    def __init__(self, permits: int, queue_max: int) -> None:
        self._free = permits
        self._queue_max = queue_max
        self._waiting: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    def acquire(self, timeout: float) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            if len(self._waiting) >= self._queue_max:
                raise PoolBusyError(f"{len(self._waiting)} requests already wait for a connection")
            turn = threading.Event()
            self._waiting.append(turn)
        if not turn.wait(timeout):
            self._give_up(turn, timeout)

    def release(self) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()  # the permit passes on, never back to the pool
            else:
                self._free += 1

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def _give_up(self, turn: threading.Event, timeout: float) -> None:
        with self._lock:
            if turn.is_set():  # handed a permit just as the wait ran out: keep it
                return
            self._waiting.remove(turn)
        raise exc.TimeoutError(f"no database connection within {timeout} s")


class FairQueuePool(QueuePool):
    """QueuePool behind a FifoGate with a permit per connection it may open, so its own
    (unfair) wait never happens. `queue_max` is a class attribute because create_engine
    passes a pool class only the standard arguments: see `with_queue_max`."""

    queue_max: ClassVar[int] = 256

    @classmethod
    def with_queue_max(cls, queue_max: int) -> type["FairQueuePool"]:
        return type(cls.__name__, (cls,), {"queue_max": queue_max})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate = FifoGate(self.size() + self._max_overflow, self.queue_max)

    def _do_get(self) -> ConnectionPoolEntry:
        self._gate.acquire(self._timeout)
        try:
            return super()._do_get()
        except BaseException:
            self._gate.release()
            raise

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        try:
            super()._do_return_conn(record)
        finally:
            self._gate.release()

    def recreate(self) -> "FairQueuePool":
        """After a dispose: the same gate, which still counts the connections checked out of
        the old pool (they are returned to it, and release their permits there)."""
        fresh = super().recreate()
        assert isinstance(fresh, FairQueuePool)
        fresh._gate = self._gate
        return fresh

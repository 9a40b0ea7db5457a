"""A connection pool that serves requests in the order they asked, and turns a request away
at once when it would wait too long.

SQLAlchemy's QueuePool lets a request that arrives just as a connection comes back take it
ahead of those already waiting, so under overload some requests wait out the whole pool
timeout and fail while later ones are served. Here every checkout passes a first-come,
first-served gate with one permit per connection the pool may open: a returned connection's
permit goes straight to the oldest waiter.

A newcomer is refused at once (a 503 with Retry-After) rather than after the timeout when
DB_POOL_QUEUE_MAX others already wait, or when its expected wait exceeds
DB_POOL_QUEUE_MAX_WAIT_SECONDS. The expected wait is the queue ahead of it times the recent
interval between permits coming back while requests wait: the pace the worker really
serves at under load, whatever slows it (the database, or its own CPU shared by more
requests).
"""

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

from sqlalchemy import exc
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool

# Weight of the latest interval in the running average: about the last 50 count.
PACE_WEIGHT = 0.02


class PoolBusyError(exc.TimeoutError):
    """Too many requests are already waiting for a database connection."""


class Pace:
    """How often a permit comes back while requests wait for one: measured only while the
    gate is saturated, so idle time never counts as slowness."""

    def __init__(self) -> None:
        self.interval = 0.0  # running average, seconds; 0 until measured
        self._last: float | None = None  # the previous release, if requests waited then

    def released(self, now: float, saturated: bool) -> None:
        if saturated and self._last is not None:
            self.interval += PACE_WEIGHT * (now - self._last - self.interval)
        self._last = now if saturated else None

    def wait_behind(self, queue: int) -> float:
        """Seconds a newcomer behind `queue` others would wait (0 until measured)."""
        return (queue + 1) * self.interval


class FifoGate:
    """Permits handed out first come, first served; never to a later arrival while an
    earlier one waits."""

    def __init__(
        self,
        permits: int,
        queue_max: int,
        max_wait: float = float("inf"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free = permits
        self._queue_max = queue_max
        self._max_wait = max_wait
        self._clock = clock
        self._pace = Pace()
        self._waiting: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    def acquire(self, timeout: float) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            self._refuse_if_too_long()
            turn = threading.Event()
            self._waiting.append(turn)
        if not turn.wait(timeout):
            self._give_up(turn, timeout)

    def release(self) -> None:
        with self._lock:
            self._pace.released(self._clock(), saturated=bool(self._waiting))
            if self._waiting:
                self._waiting.popleft().set()  # the permit passes on, never back to the pool
            else:
                self._free += 1

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def expected_wait(self) -> float:
        """Seconds a newcomer would wait, from the queue and the recent pace."""
        return self._pace.wait_behind(len(self._waiting))

    def _refuse_if_too_long(self) -> None:
        if len(self._waiting) >= self._queue_max:
            raise PoolBusyError(f"{len(self._waiting)} requests already wait for a connection")
        if self.expected_wait > self._max_wait:
            raise PoolBusyError(f"the wait for a connection would be {self.expected_wait:.2f} s")

    def _give_up(self, turn: threading.Event, timeout: float) -> None:
        with self._lock:
            if turn.is_set():  # handed a permit just as the wait ran out: keep it
                return
            self._waiting.remove(turn)
        raise exc.TimeoutError(f"no database connection within {timeout} s")


class FairQueuePool(QueuePool):
    """QueuePool behind a FifoGate with a permit per connection it may open, so its own
    (unfair) wait never happens. The queue limits are class attributes because create_engine
    passes a pool class only the standard arguments: see `with_queue_limits`."""

    queue_max: ClassVar[int] = 256
    queue_max_wait: ClassVar[float] = float("inf")

    @classmethod
    def with_queue_limits(
        cls, queue_max: int, max_wait: float = float("inf")
    ) -> type["FairQueuePool"]:
        return type(cls.__name__, (cls,), {"queue_max": queue_max, "queue_max_wait": max_wait})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._gate = FifoGate(self.size() + self._max_overflow, self.queue_max, self.queue_max_wait)

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

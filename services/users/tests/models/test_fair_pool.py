"""The connection pool serves waiting requests first come, first served, and refuses one at
once when too many already wait. Deterministic: each step waits for the previous one to be
in place (a waiter queued, a permit handed over), never on a duration."""

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, text

from users_service.models.fair_pool import FairQueuePool, FifoGate, Pace, PoolBusyError

LONG = 30.0  # seconds a waiter would wait; every test ends its waits long before


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + LONG
    while not condition():
        assert time.monotonic() < deadline, "the gate never reached the expected state"
        time.sleep(0.001)


def waiter(gate: FifoGate, name: str, served: list[str]) -> threading.Thread:
    def run() -> None:
        gate.acquire(LONG)
        served.append(name)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_permits_go_to_the_waiters_in_the_order_they_came() -> None:
    gate, served = FifoGate(permits=1, queue_max=10), []
    gate.acquire(LONG)
    for number, name in enumerate(["first", "second", "third"], start=1):
        waiter(gate, name, served)
        until(lambda number=number: gate.waiting == number)
    for expected in (["first"], ["first", "second"], ["first", "second", "third"]):
        gate.release()
        until(lambda expected=expected: served == expected)


def test_a_later_arrival_never_overtakes_a_waiter() -> None:
    """A permit released while someone waits is theirs, even if another request asks for
    one before the waiter has run again (the barging QueuePool allowed)."""
    gate, served = FifoGate(permits=1, queue_max=10), []
    gate.acquire(LONG)
    waiter(gate, "waiting", served)
    until(lambda: gate.waiting == 1)
    gate.release()
    with pytest.raises(exc.TimeoutError):
        gate.acquire(0.05)  # the newcomer finds no free permit: it went to the waiter
    until(lambda: served == ["waiting"])


def test_a_request_finding_the_queue_full_is_refused_at_once() -> None:
    gate = FifoGate(permits=1, queue_max=2)
    gate.acquire(LONG)
    served: list[str] = []
    for number in (1, 2):
        waiter(gate, f"waiter {number}", served)
        until(lambda number=number: gate.waiting == number)
    started = time.monotonic()
    with pytest.raises(PoolBusyError):
        gate.acquire(LONG)
    assert time.monotonic() - started < LONG / 2  # refused, not timed out
    for _ in range(3):
        gate.release()
    until(lambda: len(served) == 2)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def paced(gate: FifoGate, clock: FakeClock, interval: float, releases: int = 200) -> None:
    """A permit comes back every `interval` s while a request waits for it (one permit,
    held by the caller on entry and on return)."""
    for _ in range(releases):
        count = gate.waiting + 1
        waiter(gate, "paced", [])
        until(lambda count=count: gate.waiting == count)
        clock.now += interval
        gate.release()  # to the waiter, who holds it from now on
        until(lambda count=count: gate.waiting == count - 1)


def queue_accepted(gate: FifoGate, served: list[str]) -> int:
    """Waiters queue behind a held permit until one is refused; how many were queued."""
    while True:
        try:
            gate.acquire(0)
        except PoolBusyError:
            return gate.waiting
        except exc.TimeoutError:  # queued, then gave up at once: queue a waiter for real
            count = gate.waiting + 1
            waiter(gate, "waiter", served)
            until(lambda count=count: gate.waiting == count)


def test_the_pace_counts_only_intervals_while_requests_wait() -> None:
    pace = Pace()
    for second in range(100):
        pace.released(second * 0.01, saturated=True)
    assert pace.interval == pytest.approx(0.01, rel=0.2)
    assert pace.wait_behind(9) == pytest.approx(10 * pace.interval)
    before = pace.interval
    pace.released(5.0, saturated=False)  # then nobody waited for a while
    pace.released(500.0, saturated=True)  # the first release of the next burst
    assert pace.interval == before  # the quiet time is not slowness


def test_a_request_that_would_wait_too_long_is_refused_at_once() -> None:
    """A permit back every 0.1 s: the 6th waiter would wait 0.6 s, past 0.5 s."""
    clock = FakeClock()
    gate, served = FifoGate(permits=1, queue_max=100, max_wait=0.5, clock=clock), []
    gate.acquire(LONG)
    paced(gate, clock, interval=0.1)
    assert queue_accepted(gate, served) == 5
    for _ in range(6):  # the paced waiter's, then each queued one's when it is done
        gate.release()
    until(lambda: len(served) == 5)


def test_the_queue_accepted_follows_the_pace_the_worker_serves() -> None:
    """A slower pace (a worker short of CPU) shrinks the queue; a faster one grows it back."""
    clock = FakeClock()
    gate, served = FifoGate(permits=2, queue_max=100, max_wait=0.5, clock=clock), []
    gate.acquire(LONG)
    gate.acquire(LONG)
    paced(gate, clock, interval=0.15)
    assert queue_accepted(gate, served) == 3
    for _ in range(3):
        gate.release()
    until(lambda: len(served) == 3)
    paced(gate, clock, interval=0.03, releases=400)
    assert queue_accepted(gate, served) == 16
    for _ in range(16):
        gate.release()
    until(lambda: len(served) == 3 + 16)


def test_before_the_pace_is_known_only_the_queue_length_limits() -> None:
    gate, served = FifoGate(permits=1, queue_max=3, max_wait=0.001), []
    gate.acquire(LONG)
    assert gate.expected_wait == 0
    assert queue_accepted(gate, served) == 3
    for _ in range(4):
        gate.release()
    until(lambda: len(served) == 3)


def test_a_waiter_that_gives_up_leaves_the_queue() -> None:
    gate, served = FifoGate(permits=1, queue_max=10), []
    gate.acquire(LONG)
    with pytest.raises(exc.TimeoutError):
        gate.acquire(0.01)
    assert gate.waiting == 0
    waiter(gate, "next", served)
    until(lambda: gate.waiting == 1)
    gate.release()
    until(lambda: served == ["next"])


def test_the_engine_pool_hands_out_connections_through_the_gate(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite:///{tmp_path / 'pool.sqlite3'}",
        poolclass=FairQueuePool.with_queue_limits(1),
        pool_size=1,
        max_overflow=0,
        pool_timeout=LONG,
    )
    try:
        held = engine.connect()
        served: list[str] = []

        def wait_for_a_connection() -> None:
            with engine.connect() as connection:
                served.append(str(connection.execute(text("SELECT 7")).scalar()))

        thread = threading.Thread(target=wait_for_a_connection)
        thread.start()
        until(lambda: engine.pool._gate.waiting == 1)  # type: ignore[attr-defined]
        with pytest.raises(PoolBusyError):
            engine.connect()  # one waiting already fills the queue
        held.close()
        thread.join(LONG)
        assert served == ["7"]
        engine.dispose()  # a fresh pool keeps the limits
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()

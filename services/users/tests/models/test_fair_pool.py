"""The connection pool serves waiting requests first come, first served, and refuses one at
once when too many already wait. Deterministic: each step waits for the previous one to be
in place (a waiter queued, a permit handed over), never on a duration."""

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, text

from users_service.models.fair_pool import HOLD_TIME_WEIGHT, FairQueuePool, FifoGate, PoolBusyError

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


def paced(gate: FifoGate, held_for: float, requests: int = 200) -> None:
    """Requests served one after another, each holding its connection `held_for` s."""
    for _ in range(requests):
        gate.acquire(LONG)
        gate.release(held_for)


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


def test_a_request_that_would_wait_too_long_is_refused_at_once() -> None:
    """1 connection, each held 0.1 s: the 6th waiter would wait 0.6 s, past 0.5 s."""
    gate, served = FifoGate(permits=1, queue_max=100, max_wait=0.5), []
    paced(gate, held_for=0.1)
    gate.acquire(LONG)
    assert queue_accepted(gate, served) == 5
    for _ in range(6):
        gate.release()
    until(lambda: len(served) == 5)


def test_the_queue_accepted_follows_the_pace_the_worker_serves() -> None:
    """Slower requests (a worker short of CPU) shrink the queue; faster ones grow it back."""
    gate, served = FifoGate(permits=2, queue_max=100, max_wait=0.5), []
    paced(gate, held_for=0.3)  # 2 connections, 0.3 s each: 0.15 s more per waiter ahead
    gate.acquire(LONG)
    gate.acquire(LONG)
    assert queue_accepted(gate, served) == 3
    for _ in range(2 + 3):  # ours, then each waiter's when it is done
        gate.release()
    until(lambda: len(served) == 3)
    paced(gate, held_for=0.06)  # 0.03 s per waiter ahead
    gate.acquire(LONG)
    gate.acquire(LONG)
    assert queue_accepted(gate, served) == 16
    for _ in range(2 + 16):
        gate.release()
    until(lambda: len(served) == 3 + 16)


def test_before_any_connection_comes_back_only_the_queue_length_limits() -> None:
    gate, served = FifoGate(permits=1, queue_max=3, max_wait=0.001), []
    gate.acquire(LONG)
    assert gate.expected_wait == 0
    assert queue_accepted(gate, served) == 3
    for _ in range(4):
        gate.release()
    until(lambda: len(served) == 3)


def test_the_pool_measures_how_long_connections_are_held(tmp_path: Path) -> None:
    engine = create_engine(
        f"sqlite:///{tmp_path / 'pace.sqlite3'}",
        poolclass=FairQueuePool.with_queue_limits(10, max_wait=0.5),
        pool_size=1,
        max_overflow=0,
    )
    try:
        gate = engine.pool._gate  # type: ignore[attr-defined]
        with engine.connect():
            time.sleep(0.2)
        assert gate.expected_wait >= 0.2 * HOLD_TIME_WEIGHT
    finally:
        engine.dispose()


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

"""The connection pool serves waiting requests first come, first served, and refuses one at
once when too many already wait. Deterministic: each step waits for the previous one to be
in place (a waiter queued, a permit handed over), never on a duration."""

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, exc, text

from users_service.models.fair_pool import FairQueuePool, FifoGate, PoolBusyError

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
        poolclass=FairQueuePool.with_queue_max(1),
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

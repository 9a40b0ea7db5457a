"""Time and progress output, injected so that tests run the waits instantly."""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


class Clock:
    """The real clock; tests pass one whose sleep() only moves its monotonic() forward."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def say(text: str) -> None:
    """A progress line for people. On stderr, so stdout carries only the JSON summary."""
    print(f"deploy: {text}", file=sys.stderr, flush=True)


@contextmanager
def timed(clock: Clock, phases: dict[str, float], name: str) -> Iterator[None]:
    """Record how long a phase took in `phases`, also when it fails."""
    started = clock.monotonic()
    try:
        yield
    finally:
        phases[name] = clock.monotonic() - started

"""The settable clock behind the `fake_clock` fixture (conftest.py)."""

from datetime import datetime, timedelta


class FakeClock:
    """A settable clock; `advance` moves it forward."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)

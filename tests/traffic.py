"""Steady load through the load balancer, recorded request by request, for the proofs that
break things while clients are being served."""

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

# A request: a name for the report, whether retrying it is harmless, and how to send it.
Send = Callable[[requests.Session], requests.Response]


@dataclass(frozen=True)
class Kind:
    name: str
    idempotent: bool
    send: Send
    ok: frozenset[int] = frozenset({200})


@dataclass
class Outcome:
    at: float
    kind: str
    idempotent: bool
    status: int | None  # None: no HTTP answer at all
    instance: str | None
    elapsed: float
    json: bool


@dataclass
class Load:
    """`workers` threads, each cycling through `kinds` until stopped."""

    kinds: list[Kind]
    workers: int = 4
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def __enter__(self) -> "Load":
        for n in range(self.workers):
            thread = threading.Thread(target=self._run, args=(n,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self, offset: int) -> None:
        session = requests.Session()
        n = offset
        while not self._stop.is_set():
            kind = self.kinds[n % len(self.kinds)]
            n += 1
            start = time.time()
            try:
                reply = kind.send(session)
                status, instance = reply.status_code, reply.headers.get("X-Instance-Id")
                is_json = reply.headers.get("Content-Type", "").startswith("application/json")
            except requests.RequestException:
                status, instance, is_json = None, None, False
                session = requests.Session()
            end = time.time()  # wall clock: compared with Docker's log timestamps
            self.outcomes.append(
                Outcome(end, kind.name, kind.idempotent, status, instance, end - start, is_json)
            )
            time.sleep(0.01)

    def first_answer_from(self, instance: str, after: float) -> float | None:
        """When `instance` first answered a request after the Unix time `after`, if it has."""
        times = [o.at for o in self.outcomes if o.instance == instance and o.at > after]
        return min(times, default=None)

    def failures(self) -> list[Outcome]:
        by_name = {kind.name: kind for kind in self.kinds}
        return [o for o in self.outcomes if o.status not in by_name[o.kind].ok]

    def report(self, title: str) -> str:
        failed = self.failures()
        statuses = Counter((o.kind, o.status) for o in self.outcomes)
        return (
            f"{title}: {len(self.outcomes)} requests sent, {len(failed)} failed "
            f"({sum(o.idempotent for o in failed)} idempotent); "
            + ", ".join(
                f"{kind} {status}: {n}" for (kind, status), n in sorted(statuses.items(), key=str)
            )
        )

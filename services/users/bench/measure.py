"""Repeated measurements, taken in rounds (every scenario once per round, the references
first, the scenarios taking turns to go first) so that a noisy spell on a shared machine
touches all scenarios alike, summarised by medians. Between runs, while the benchmark itself
is idle, the machine's CPU use is sampled: it is the load of other work, which skews every
figure."""

import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import access_log, machine, wrk
from bench.options import Options
from bench.pairing import round_order, same_round_ratio
from bench.scenarios import Scenario
from bench.wrk import Result

SETTLE_S = 1.0


@dataclass(frozen=True)
class Step:
    """Something measured once per round: one wrk load, or several side by side."""

    key: str
    run: Callable[[int], dict[str, Result]]  # duration in seconds -> results by key
    prepare: Callable[[], None] | None = None  # before each measurement, not timed


def single(scenario: Scenario, prepare: Callable[[], None] | None = None) -> Step:
    def run(seconds: int) -> dict[str, Result]:
        return {scenario.key: wrk.run(scenario.load, seconds)}

    return Step(scenario.key, run, prepare)


def alongside(probe: Scenario, saturating: Scenario) -> Step:
    """The probe's latency while the saturating load runs for the same time."""

    def run(seconds: int) -> dict[str, Result]:
        background = wrk.start(saturating.load, seconds)
        result = wrk.run(probe.load, seconds)
        return {probe.key: result, f"{saturating.key}_alongside": wrk.finish(background, seconds)}

    return Step(probe.key, run)


def timing_refusals(scenario: Scenario, access_log_path: Path) -> Step:
    """The scenario, with the time its refused requests (503) spent in the service."""

    def run(seconds: int) -> dict[str, Result]:
        window = access_log.Window(access_log_path)
        result = wrk.run(scenario.load, seconds)
        refused_ms = access_log.summary_ms(window.durations_ms(503))
        return {scenario.key: replace(result, refused_ms=refused_ms)}

    return Step(scenario.key, run)


@dataclass
class Measurements:
    opts: Options
    samples: dict[str, list[Result]] = field(default_factory=dict)
    # The round of each sample, numbered across phases: what pairs a scenario with the
    # references measured in the same round.
    rounds_of: dict[str, list[int]] = field(default_factory=dict)
    _rounds_begun: int = 0
    background: list[float] = field(default_factory=list)  # CPU busy fraction between runs
    _warmed: set[str] = field(default_factory=set)

    def rounds(
        self, references: list[Step], steps: list[Step], runs: int, *, take_turns: bool = True
    ) -> None:
        """`runs` rounds: the references, then `steps` taking turns to go first, or in the
        order given without `take_turns` (a ramp of load)."""
        for round_number in range(1, runs + 1):
            self._rounds_begun += 1
            for step in round_order(references, steps, round_number, take_turns=take_turns):
                self._measure(step, round_number, runs)

    def _measure(self, step: Step, round_number: int, runs: int) -> dict[str, Result]:
        if step.prepare is not None:
            step.prepare()
        self._warm_up(step)
        results = step.run(self.opts.duration_s)
        for key, result in results.items():
            self.samples.setdefault(key, []).append(result)
            self.rounds_of.setdefault(key, []).append(self._rounds_begun)
            _progress(round_number, runs, key, result)
        # The pause also lets requests still in flight (a queued login) finish.
        self.background.append(machine.busy_fraction(SETTLE_S))
        return results

    def medians(self, key: str) -> dict[str, Any]:
        """Medians of the runs' rates and latencies; errors summed over the runs."""
        runs = self.samples[key]
        return {
            "requests_per_s": statistics.median(r.requests_per_s for r in runs),
            "p50_ms": statistics.median(r.p50_ms for r in runs),
            "p99_ms": statistics.median(r.p99_ms for r in runs),
            "errors": sum(r.errors for r in runs),
            "non_2xx": sum(r.non_2xx for r in runs),
            "socket_errors": {k: sum(r.socket_errors[k] for r in runs) for k in wrk.SOCKET_ERRORS},
            "runs": [asdict(r) for r in runs],
            "rounds": self.rounds_of[key],
        }

    def ratio(self, key: str, reference: str) -> float:
        """`key`'s rate over `reference`'s, round by round (bench/pairing.py)."""
        return same_round_ratio(
            [r.requests_per_s for r in self.samples[key]],
            self.rounds_of[key],
            [r.requests_per_s for r in self.samples[reference]],
            self.rounds_of[reference],
        )

    def _warm_up(self, step: Step) -> None:
        if step.key not in self._warmed:
            step.run(self.opts.warmup_s)
            self._warmed.add(step.key)


def _progress(round_number: int, runs: int, key: str, result: Result) -> None:
    errors = f", {result.errors} errors" if result.errors else ""
    if result.refused:
        errors += f" ({result.refused} refused with 503)"
    print(
        f"  [{round_number}/{runs}] {key:<26} {result.requests_per_s:9.1f} req/s"
        f"  p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms{errors}",
        flush=True,
    )

"""Ratios between two scenarios, taken round by round.

Every round measures the ceiling and the limits and then each scenario once, so a slow
spell of the shared machine, or a slower phase, lowers both figures of a round alike. A ratio
of two medians taken over different rounds keeps that drift (the `GET /users` phase has
its own rounds, slower or faster than the later phase's); the median of the same-round
ratios cancels it."""

import statistics
from collections.abc import Sequence


def same_round_ratio(
    rates: Sequence[float],
    rounds: Sequence[int],
    reference_rates: Sequence[float],
    reference_rounds: Sequence[int],
) -> float:
    """The median, over the rounds that measured both, of a scenario's rate divided by its
    reference's rate in the same round."""
    reference = dict(zip(reference_rounds, reference_rates, strict=True))
    ratios = [
        rate / reference[number]
        for number, rate in zip(rounds, rates, strict=True)
        if number in reference
    ]
    if not ratios:
        raise ValueError("no round measured both the scenario and its reference")
    return statistics.median(ratios)

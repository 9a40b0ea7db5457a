"""Ratios between two scenarios, taken round by round, and the order of a round.

Every round measures the ceiling and the limits and then each scenario once, so a slow
spell of the shared machine, or a slower phase, lowers both figures of a round alike. A ratio
of two medians taken over different rounds keeps that drift (the `GET /users` phase has
its own rounds, slower or faster than the later phase's); the median of the same-round
ratios cancels it."""

import statistics
from collections.abc import Sequence
from typing import TypeVar

Step = TypeVar("Step")


def round_order(
    references: Sequence[Step], steps: Sequence[Step], round_number: int, *, take_turns: bool
) -> list[Step]:
    """What round `round_number` (from 1) measures, in order: the references, then the steps.
    With `take_turns`, each round starts one step further on, so that what drifts in the
    course of a round (the machine, the database) does not always fall on the same step."""
    turn = (round_number - 1) % len(steps) if take_turns and steps else 0
    return [*references, *steps[turn:], *steps[:turn]]


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

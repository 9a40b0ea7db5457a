"""How `make bench` divides an endpoint's rate by its limit's (services/users/bench/pairing.py):
round by round, so that drift between rounds and phases does not pass for a difference."""

import pytest

from services.users.bench.pairing import round_order, same_round_ratio


def test_a_slow_phase_cancels_out() -> None:
    """The endpoint runs only in the first phase (rounds 1-3), which the whole machine ran
    slower; the limit runs in both. Dividing medians would compare the endpoint with a limit
    partly measured in the faster phase."""
    limit_rounds = [1, 2, 3, 4, 5, 6]
    limit_rates = [2000.0, 2100.0, 1900.0, 3000.0, 3100.0, 2900.0]
    endpoint_rates = [1400.0, 1470.0, 1330.0]
    ratio = same_round_ratio(endpoint_rates, [1, 2, 3], limit_rates, limit_rounds)
    assert ratio == pytest.approx(0.7)
    of_medians = sorted(endpoint_rates)[1] / ((2100.0 + 2900.0) / 2)
    assert of_medians == pytest.approx(0.56)


def test_the_median_of_the_rounds_ratios() -> None:
    ratio = same_round_ratio([500.0, 900.0, 100.0], [4, 5, 6], [1000.0, 1000.0, 1000.0], [4, 5, 6])
    assert ratio == pytest.approx(0.5)


def test_rounds_without_the_reference_are_left_out() -> None:
    assert same_round_ratio([800.0, 50.0], [2, 9], [1000.0], [2]) == pytest.approx(0.8)


def test_no_common_round_is_an_error_not_a_figure() -> None:
    with pytest.raises(ValueError, match="no round"):
        same_round_ratio([800.0], [1], [1000.0], [2])


def test_the_steps_take_turns_to_go_first_after_the_references() -> None:
    """Over as many rounds as there are steps, each step runs once in each place, so a drift
    in the course of every round falls on all of them alike."""
    references, steps = ["ceiling", "limit"], ["a", "b", "c"]
    orders = [round_order(references, steps, n, take_turns=True) for n in (1, 2, 3, 4)]
    assert orders == [
        ["ceiling", "limit", "a", "b", "c"],
        ["ceiling", "limit", "b", "c", "a"],
        ["ceiling", "limit", "c", "a", "b"],
        ["ceiling", "limit", "a", "b", "c"],
    ]


def test_a_ramp_keeps_its_order() -> None:
    assert round_order([], [16, 64, 256], 2, take_turns=False) == [16, 64, 256]

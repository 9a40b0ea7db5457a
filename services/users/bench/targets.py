"""The goals each figure is held to. Ratios are to the ceiling measured in the same run,
so they travel between machines better than raw requests per second."""

from dataclasses import dataclass

RATIO_TARGETS = {"ping": 0.55, "user_by_id": 0.30, "auth_status": 0.25, "users_page": 0.15}
# What the 2017 reference service reached (GET /users with 1,000 users), for scale.
REFERENCE_RATIOS = {"ping": 0.33, "user_by_id": 0.11, "auth_status": 0.08, "users_page": 0.006}
USERS_PAGE_GROWTH_MAX = 1.3  # p50 with the largest table / p50 with the smallest
LOGIN_MIN_PER_S = 40.0
PING_P99_DURING_LOGIN_MAX_MS = 50.0
COLD_START_MAX_S = 1.5
RSS_MAX_MIB = 200.0


def ratio_target(key: str) -> float | None:
    """The ratio target of a scenario key (every `users_page_<size>` shares one)."""
    return RATIO_TARGETS.get("users_page" if key.startswith("users_page_") else key)


@dataclass(frozen=True)
class Verdict:
    target: str  # e.g. "≥ 0.55"
    met: bool

    def to_json(self) -> dict[str, object]:
        return {"target": self.target, "met": self.met}


def at_least(value: float, minimum: float, unit: str = "") -> Verdict:
    return Verdict(f"≥ {minimum:g}{unit}", value >= minimum)


def below(value: float, maximum: float, unit: str = "") -> Verdict:
    return Verdict(f"< {maximum:g}{unit}", value < maximum)


def at_most(value: float, maximum: float, unit: str = "") -> Verdict:
    return Verdict(f"≤ {maximum:g}{unit}", value <= maximum)

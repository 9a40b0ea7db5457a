"""Rate limits for login, register and refresh, counted in the shared database.

Fixed windows: a bucket allows `limit` requests per `period`, counted in one row per
window that every instance increments, so N instances never give N times the budget. A
client can spend up to twice the limit across a window boundary; that is the price of one
indexed row per check instead of a log of timestamps. A refused request writes nothing: the
row is read first, and counted only while under its limit, so a client over budget cannot
make the service write.

Logins have three budgets (docs/api.md says what they do and do not prevent): every attempt
per client address (it bounds the hashing one address can ask for); failed attempts per
account and address (a guesser spends its own address's budget, never the owner's); and
failed attempts per account from all addresses (against distributed guessing), which never
refuses the address that last logged in to the account.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from users_service import clock
from users_service.config import Rate, current_settings
from users_service.models import RateLimitCounter
from users_service.models.database import db
from users_service.models.user import DIGEST_LENGTH
from users_service.web.errors import ApiError
from users_service.web.request_context import client_address as client_address  # re-exported

TOO_MANY = "Too many requests. Try again later."


def digest(subject: str) -> str:
    """What is stored of an address or an email: bounded, and not the value itself."""
    return hashlib.sha256(subject.encode(errors="surrogatepass")).hexdigest()[:DIGEST_LENGTH]


def limit_request(action: str, account: str | None = None) -> None:
    """Count this request against the client address and, when given, the account
    (canonical email, or user id); 429 when either is spent, having written nothing."""
    settings = current_settings()
    if not settings.rate_limits_enabled:
        return
    budgets = [Budget.of(f"{action}:ip", client_address(), settings.rate(action, "ip"))]
    if account is not None:
        budgets.append(Budget.of(f"{action}:account", account, settings.rate(action, "account")))
    for budget in budgets:  # every budget read before any is spent
        budget.refuse_if_spent()
    for budget in budgets:
        if not budget.spend():  # spent meanwhile by a concurrent request
            raise budget.window.refusal()
    db.session.commit()


def limit(scope: str, subject: str, rate: Rate) -> None:
    """A budget of its own (uploads per account): 429 when spent, having written nothing."""
    budget = Budget.of(scope, subject, rate)
    budget.refuse_if_spent()
    if not budget.spend():
        raise budget.window.refusal()
    db.session.commit()


@dataclass(frozen=True)
class LoginLimits:
    """The failure budgets of a login to `account` (a canonical email) from this client."""

    account: str
    address: str  # the digest of the client address, as users.last_login_from holds it

    @classmethod
    def of(cls, account: str) -> "LoginLimits":
        return cls(account, digest(client_address()))

    def check(self, last_login_from: str | None) -> None:
        """429 when this address has failed too often at the account, or, unless it is where
        the account last logged in, when all addresses together have. Called before the
        address's own budget is spent, so that a refusal writes nothing."""
        if current_settings().rate_limits_enabled:
            from_here, from_anywhere = self._budgets()
            from_here.refuse_if_spent()
            if last_login_from != self.address:
                from_anywhere.refuse_if_spent()

    def count_failure(self) -> None:
        """Spend one failure of each budget (committed)."""
        if current_settings().rate_limits_enabled:
            for budget in self._budgets():
                budget.spend()
            db.session.commit()

    def _budgets(self) -> tuple["Budget", "Budget"]:
        settings = current_settings()
        pair = f"{self.account}\n{self.address}"  # canonical keys hold no line break
        return (
            Budget.of("login:account-ip", pair, settings.rate_limit_login_per_account),
            Budget.of(
                "login:account", self.account, settings.rate_limit_login_per_account_all_addresses
            ),
        )


@dataclass(frozen=True)
class Window:
    """The current fixed window of a rate."""

    start: int
    end: datetime

    @classmethod
    def of(cls, rate: Rate) -> "Window":
        start = int(clock.now().timestamp()) // rate.period_seconds * rate.period_seconds
        return cls(start, datetime.fromtimestamp(start + rate.period_seconds, UTC))

    def refusal(self) -> ApiError:
        """The 429; the session's transaction is dropped, so nothing this request did is
        written."""
        db.session.rollback()
        retry_after = max(1, math.ceil((self.end - clock.now()) / timedelta(seconds=1)))
        return ApiError(429, TOO_MANY, "fail", headers={"Retry-After": str(retry_after)})


@dataclass(frozen=True)
class Budget:
    """One bucket's allowance in the current window of its rate."""

    bucket: str
    limit: int
    window: Window

    @classmethod
    def of(cls, scope: str, subject: str, rate: Rate) -> "Budget":
        return cls(f"{scope}:{digest(subject)}", rate.limit, Window.of(rate))

    def refuse_if_spent(self) -> None:
        """429 when the window already holds the limit (a read: nothing is written)."""
        if RateLimitCounter.hits_in(db.session, self.bucket, self.window.start) >= self.limit:
            raise self.window.refusal()

    def spend(self) -> bool:
        """Count one request; False when the limit was reached meanwhile (nothing counted)."""
        window = self.window
        return RateLimitCounter.hit(db.session, self.bucket, window.start, window.end, self.limit)

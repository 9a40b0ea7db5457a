"""Rate limits for login, register and refresh, counted in the shared database.

Fixed windows: a bucket allows `limit` requests per `period`, counted in one row per
window that every instance increments, so N instances never give N times the budget. A
client can spend up to twice the limit across a window boundary; that is the price of one
indexed upsert per check instead of a log of timestamps.
"""

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import request

from users_service.config import Rate, current_settings
from users_service.models import RateLimitCounter, clock
from users_service.models.database import db
from users_service.web.errors import ApiError

TOO_MANY = "Too many requests. Try again later."


@dataclass(frozen=True)
class Policy:
    per_ip: Rate
    per_account: Rate


def policy(action: str) -> Policy:
    settings = current_settings()
    policies = {
        "login": Policy(settings.rate_limit_login_per_ip, settings.rate_limit_login_per_account),
        "register": Policy(
            settings.rate_limit_register_per_ip, settings.rate_limit_register_per_account
        ),
        "refresh": Policy(
            settings.rate_limit_refresh_per_ip, settings.rate_limit_refresh_per_account
        ),
    }
    return policies[action]


def client_address() -> str:
    """The caller's address: the peer, or the X-Forwarded-For entry that the configured
    number of trusted proxies vouch for (ProxyFix rewrites remote_addr; see app.py)."""
    return request.remote_addr or "unknown"


def limit_client(action: str) -> None:
    """Count this request against the client address; 429 when over budget."""
    if current_settings().rate_limits_enabled:
        _count(f"{action}:ip", client_address(), policy(action).per_ip)


def limit_account(action: str, account: str) -> None:
    """Count this request against the account (email or user id); 429 when over budget.

    Called after limit_client, so a client already refused by address does not also spend
    the account's budget (which would let one attacker lock a victim out more cheaply).
    """
    if current_settings().rate_limits_enabled:
        _count(f"{action}:account", account.lower(), policy(action).per_account)


def _count(scope: str, subject: str, rate: Rate) -> None:
    now = clock.now()
    window_start = int(now.timestamp()) // rate.period_seconds * rate.period_seconds
    window_end = datetime.fromtimestamp(window_start + rate.period_seconds, UTC)
    # Hash the subject: bounded key length, and no emails or addresses stored in the table.
    bucket = f"{scope}:{hashlib.sha256(subject.encode()).hexdigest()[:40]}"
    hits = RateLimitCounter.hit(db.session, bucket, window_start, window_end)
    db.session.commit()
    if hits > rate.limit:
        retry_after = max(1, math.ceil((window_end - now) / timedelta(seconds=1)))
        raise ApiError(429, TOO_MANY, "fail", headers={"Retry-After": str(retry_after)})

"""What is measured: each scenario is a wrk load on one of the two servers."""

from dataclasses import dataclass

from bench.options import Options
from bench.seeding import EMAIL_FORMAT
from bench.wrk import Load

LOGIN_ACCOUNTS = 100  # the login load cycles through this many seeded users
PROBE_CONNECTIONS = 4  # the /ping probe while logins saturate the service
PROBE_PAUSE_MS = 10


@dataclass(frozen=True)
class Scenario:
    key: str  # in the JSON report
    label: str  # in the table
    load: Load


def ceiling(opts: Options, base_url: str) -> Scenario:
    return Scenario("ceiling", "bare WSGI app (ceiling)", _get(opts, base_url, "/ping"))


def ping(opts: Options, base_url: str) -> Scenario:
    return Scenario("ping", "GET /ping", _get(opts, base_url, "/ping"))


def user_by_id(opts: Options, base_url: str, first: int, last: int) -> Scenario:
    load = Load(
        base_url, "user_by_id.lua", opts.connections, opts.wrk_threads, (str(first), str(last))
    )
    return Scenario("user_by_id", "GET /users/<id>", load)


def auth_status(opts: Options, base_url: str, token: str) -> Scenario:
    load = _get(opts, base_url, "/auth/status", token)
    return Scenario("auth_status", "GET /auth/status", load)


def users_page(opts: Options, base_url: str, size: int) -> Scenario:
    return Scenario(
        f"users_page_{size}", f"GET /users ({size:,} users)", _get(opts, base_url, "/users")
    )


def login(opts: Options, base_url: str, accounts: int, password: str) -> Scenario:
    args = (EMAIL_FORMAT, str(min(accounts, LOGIN_ACCOUNTS)), password)
    load = Load(base_url, "login.lua", opts.login_connections, opts.wrk_threads, args)
    return Scenario("login", "POST /auth/login", load)


def ping_probe(base_url: str) -> Scenario:
    load = Load(f"{base_url}/ping", "paced.lua", PROBE_CONNECTIONS, 1, (str(PROBE_PAUSE_MS),))
    return Scenario("ping_during_login", "GET /ping while logins saturate", load)


def _get(opts: Options, base_url: str, path: str, token: str | None = None) -> Load:
    args = (token,) if token else ()
    return Load(base_url + path, "get.lua", opts.connections, opts.wrk_threads, args)

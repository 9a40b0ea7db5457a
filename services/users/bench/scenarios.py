"""What is measured: each scenario is a wrk load on one of the servers (the service, the
bare WSGI ceiling, and the two limits: a bare Flask route and a Flask app doing one raw
SELECT)."""

from dataclasses import dataclass

from bench.options import Options
from bench.seeding import EMAIL_FORMAT
from bench.wrk import Load

LOGIN_ACCOUNTS = 100  # the login load cycles through this many seeded users
PROBE_CONNECTIONS = 4  # the /ping probe while logins saturate the service
PROBE_PAUSE_MS = 10
# Overload: wrk's request timeout well above the service's pool timeout (3 s), so a request
# the service lets wait is counted as slow rather than lost; one wrk thread per this many
# connections (two at 1,024), as one thread's event loop is busy at that many.
OVERLOAD_TIMEOUT_S = 30
CONNECTIONS_PER_WRK_THREAD = 512
# Scenario keys that the report compares the others with.
CEILING, FLASK_LIMIT, DATABASE_LIMIT = "ceiling", "flask_limit", "database_limit"
OVERLOAD_PREFIX = "overload_"  # + the number of connections


@dataclass(frozen=True)
class Scenario:
    key: str  # in the JSON report
    label: str  # in the table
    load: Load


def ceiling(opts: Options, base_url: str) -> Scenario:
    return Scenario(CEILING, "bare WSGI app (ceiling)", _get(opts, base_url, "/ping"))


def flask_limit(opts: Options, base_url: str) -> Scenario:
    label = "limit: bare Flask route (for GET /ping)"
    return Scenario(FLASK_LIMIT, label, _get(opts, base_url, "/ping"))


def database_limit(opts: Options, base_url: str, first: int, last: int) -> Scenario:
    label = "limit: Flask + one psycopg2 SELECT (GET /users/<id>)"
    return Scenario(DATABASE_LIMIT, label, _by_id(opts, base_url, first, last))


def ping(opts: Options, base_url: str) -> Scenario:
    return Scenario("ping", "GET /ping", _get(opts, base_url, "/ping"))


def user_by_id(opts: Options, base_url: str, first: int, last: int) -> Scenario:
    return Scenario("user_by_id", "GET /users/<id>", _by_id(opts, base_url, first, last))


def overload(opts: Options, base_url: str, connections: int, last: int) -> Scenario:
    """GET /users/<id> at `connections`, with the 503 replies counted apart."""
    threads = max(opts.wrk_threads, connections // CONNECTIONS_PER_WRK_THREAD)
    load = Load(
        base_url,
        "user_by_id.lua",
        connections,
        threads,
        ("1", str(last)),
        hooks=("refusals.lua",),
        timeout_s=OVERLOAD_TIMEOUT_S,
    )
    label = f"GET /users/<id>, {connections:,} connections"
    return Scenario(f"{OVERLOAD_PREFIX}{connections}", label, load)


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


def _by_id(opts: Options, base_url: str, first: int, last: int) -> Load:
    args = (str(first), str(last))
    return Load(base_url, "user_by_id.lua", opts.connections, opts.wrk_threads, args)


def _get(opts: Options, base_url: str, path: str, token: str | None = None) -> Load:
    args = (token,) if token else ()
    return Load(base_url + path, "get.lua", opts.connections, opts.wrk_threads, args)

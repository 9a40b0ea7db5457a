"""The measured phases, in rounds so that a noisy spell on a shared machine touches every
scenario alike: GET /users at each table size, every other endpoint, then the overload
scenario. Each round of the first two starts with the ceiling and the limits, and then its
scenarios take turns to go first."""

import secrets
from dataclasses import dataclass

from bench import client, overload, scenarios
from bench.measure import Measurements, Step, alongside, single
from bench.options import Options
from bench.processes import Server
from bench.seeding import EMAIL_FORMAT, UserTables


@dataclass(frozen=True)
class Servers:
    service: Server
    ceiling: Server
    flask_limit: Server  # the limit for /ping
    database_limit: Server  # the limit for the endpoints that read the database


def load_phases(opts: Options, url: str, servers: Servers) -> tuple[Measurements, dict[str, str]]:
    """Two phases in rounds that start with the ceiling and the limits: GET /users with the
    table sizes interleaved (so that drifting background load cannot pass for an effect of
    the size), then every other endpoint with the largest table."""
    service = servers.service
    password = secrets.token_urlsafe(12)
    client.register(service.base_url, "bench1", EMAIL_FORMAT % 1, password)
    tables = UserTables(url, EMAIL_FORMAT % 1, opts.sizes)
    measurements = Measurements(opts)
    labels: dict[str, str] = {}
    largest = opts.sizes[-1]
    try:
        tables.write()
        bare, flask_limit, database_limit = _references(opts, servers, tables, labels)
        print("GET /users, table sizes interleaved", flush=True)
        pages = [_users_page(opts, service, tables, size, labels) for size in opts.sizes]
        measurements.rounds([bare, database_limit], pages, opts.runs)
        tables.use(largest)
        print(f"every other endpoint, {largest:,} users", flush=True)
        endpoints = _endpoints(opts, service, largest, password, labels)
        measurements.rounds([bare, flask_limit, database_limit], endpoints, opts.runs)
    finally:
        tables.close()
    return measurements, labels


def overload_phase(
    opts: Options, service: Server, measurements: Measurements, labels: dict[str, str]
) -> None:
    """GET /users/<id> at each number of connections, on the largest table (back in `users`
    after the load phases)."""
    levels = ", ".join(f"{n:,}" for n in opts.overload_connections)
    print(f"overload: GET /users/<id> at {levels} connections", flush=True)
    steps = overload.steps(opts, service.base_url, service.log_path, opts.sizes[-1], labels)
    measurements.rounds([], steps, opts.overload_runs, take_turns=False)


def _references(
    opts: Options, servers: Servers, tables: UserTables, labels: dict[str, str]
) -> tuple[Step, Step, Step]:
    """The ceiling, the Flask route and the database limit; the database limit reads the
    same table as GET /users/<id> (the largest) in every round."""
    largest = opts.sizes[-1]
    bare = scenarios.ceiling(opts, servers.ceiling.base_url)
    flask = scenarios.flask_limit(opts, servers.flask_limit.base_url)
    database = scenarios.database_limit(opts, servers.database_limit.base_url, 1, largest)
    labels.update({s.key: s.label for s in (bare, flask, database)})
    return single(bare), single(flask), single(database, prepare=lambda: tables.use(largest))


def _users_page(
    opts: Options, service: Server, tables: UserTables, size: int, labels: dict[str, str]
) -> Step:
    page = scenarios.users_page(opts, service.base_url, size)
    labels[page.key] = page.label
    return single(page, prepare=lambda: tables.use(size))


def _endpoints(
    opts: Options, service: Server, users: int, password: str, labels: dict[str, str]
) -> list[Step]:
    """The table holds users 1..`users`, all with `password`."""
    base = service.base_url
    token = client.login(base, EMAIL_FORMAT % 1, password)
    login = scenarios.login(opts, base, users, password)
    probe = scenarios.ping_probe(base)
    measured = [
        scenarios.ping(opts, base),
        scenarios.user_by_id(opts, base, 1, users),
        scenarios.auth_status(opts, base, token),
        login,
    ]
    labels.update({s.key: s.label for s in [*measured, probe]})
    labels[f"{login.key}_alongside"] = f"{login.label} (beside the /ping probe)"
    return [*(single(s) for s in measured), alongside(probe, login)]

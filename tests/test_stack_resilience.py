"""Proofs 5-7 on the real compose stack: things break under steady load through HAProxy, and
clients do not notice (or get a quick, honest 503). Each test leaves two healthy replicas and
a running database behind it, whatever order the tests run in."""

import subprocess
import time
from collections.abc import Iterator
from datetime import datetime

import pytest
import requests

from services.users.tests.support.helpers import bearer
from tests.compose_stack import ROOT, Stack, wait_for
from tests.support import Record, register
from tests.traffic import Kind, Load

SETTLE_SECONDS = 2.0
OUTAGE_SECONDS = 10.0
QUICK_SECONDS = 5.0  # "no hang beyond a few seconds": DB_CONNECT/POOL timeouts are 3 s


def reads(stack: Stack, token: str, ok: frozenset[int] = frozenset({200})) -> list[Kind]:
    """Idempotent API calls through the LB, touching the database."""
    auth = bearer(token)
    return [
        Kind("GET /users", True, lambda s: s.get(f"{stack.lb}/users?limit=5", timeout=30), ok),
        Kind(
            "GET /auth/status",
            True,
            lambda s: s.get(f"{stack.lb}/auth/status", headers=auth, timeout=30),
            ok,
        ),
        Kind(
            "GET /files", True, lambda s: s.get(f"{stack.lb}/files", headers=auth, timeout=30), ok
        ),
    ]


def ping(stack: Stack) -> Kind:
    return Kind("GET /ping", True, lambda s: s.get(f"{stack.lb}/ping", timeout=30))


@pytest.fixture
def user(stack: Stack) -> Iterator[dict[str, str]]:
    yield register(stack.lb)
    stack.wait_all_healthy(2)  # the next test starts from the same two healthy replicas


def docker_time(stamp: str) -> float:
    """Docker's RFC 3339 log timestamp (nanoseconds, Z) as a Unix time."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{whole}.{fraction[:6]:0<6}+00:00").timestamp()


def lb_events(stack: Stack, needle: str, after: float) -> list[float]:
    """When HAProxy logged a line containing `needle`, after the Unix time `after`."""
    lines = stack.compose("logs", "--timestamps", "--no-color", "--no-log-prefix", "lb")
    stamps = [docker_time(line.split(" ", 1)[0]) for line in lines.splitlines() if needle in line]
    return [stamp for stamp in stamps if stamp > after]


def test_a_killed_replica_costs_no_idempotent_request(
    stack: Stack, user: dict[str, str], record: Record
) -> None:
    victim = stack.replicas()[0]
    victim_id = stack.instance_of(victim)
    with Load([ping(stack), *reads(stack, user["auth_token"])]) as load:
        time.sleep(SETTLE_SECONDS)
        stack.docker("kill", victim)  # returns once the container has exited
        killed_at = time.time()
        detected = wait_for(
            "HAProxy to take the replica out", lambda: lb_events(stack, "DOWN", killed_at), 30
        )
        time.sleep(SETTLE_SECONDS)
        restarted_at = time.time()
        stack.docker("start", victim)
        wait_for("HAProxy to bring it back", lambda: lb_events(stack, " is UP", restarted_at), 60)
        back_up = lb_events(stack, " is UP", restarted_at)[0]
        wait_for(
            "a request routed to it",
            lambda: load.first_answer_from(victim_id, restarted_at) is not None,
            30,
        )
        time.sleep(SETTLE_SECONDS)
    served_by_victim = [o.at for o in load.outcomes if o.instance == victim_id]
    gap = [at for at in served_by_victim if killed_at < at < back_up]
    first_back = load.first_answer_from(victim_id, killed_at)
    assert first_back is not None
    record(
        f"\n{load.report('kill one replica')}\n"
        f"taken out by HAProxy {detected:.1f} s after the kill; routed to again "
        f"{first_back - restarted_at:.1f} s after `docker start` (health checks passed at "
        f"+{back_up - restarted_at:.1f} s); recovery {first_back - killed_at:.1f} s after the kill"
    )
    assert not load.failures()
    assert gap == []  # nothing reached it between the kill and its passing health checks
    assert len(load.outcomes) > 100


def test_a_replica_that_exits_is_restarted_by_docker_unnoticed(
    stack: Stack, user: dict[str, str], record: Record
) -> None:
    """gunicorn exits on its own, dropping what it had (SIGINT is its quick shutdown, sent
    from inside the container, so Docker did not ask for it): the restart policy brings the
    replica back, and clients see nothing. (`docker kill` is an operator's stop to Docker,
    which is why proof 5 starts the replica again by hand.)"""
    victim = stack.replicas()[0]
    victim_id = stack.instance_of(victim)
    with Load([ping(stack), *reads(stack, user["auth_token"])]) as load:
        time.sleep(SETTLE_SECONDS)
        exited_at = time.time()
        stack.docker("exec", victim, "sh", "-c", "kill -INT 1")
        restarted = wait_for(
            "Docker to restart it",
            lambda: stack.docker("inspect", "--format", "{{.RestartCount}}", victim).strip() == "1",
            30,
        )
        wait_for(
            "a request routed to it",
            lambda: load.first_answer_from(victim_id, exited_at + 1) is not None,
            60,
        )
        back = load.first_answer_from(victim_id, exited_at + 1)
        assert back is not None
        time.sleep(SETTLE_SECONDS)
    record(
        f"\n{load.report('a replica exits')}\n"
        f"restarted by Docker after {restarted:.1f} s; served again {back - exited_at:.1f} s "
        "after it exited"
    )
    assert not load.failures()


def test_rolling_replacement_fails_no_request(
    stack: Stack, user: dict[str, str], record: Record
) -> None:
    before = {stack.instance_of(container) for container in stack.replicas()}
    credentials = {"email": user["email"], "password": user["password"]}
    writes = [
        Kind(
            "POST /auth/login",
            False,
            lambda s: s.post(f"{stack.lb}/auth/login", json=credentials, timeout=30),
        ),
        Kind("POST /", False, lambda s: s.post(f"{stack.lb}/", json={"num": 7}, timeout=30)),
    ]
    with Load([ping(stack), *reads(stack, user["auth_token"]), *writes]) as load:
        time.sleep(SETTLE_SECONDS)
        started = time.time()
        rollout = subprocess.run(
            [str(ROOT / "scripts/rolling-replace")],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        took = time.time() - started
        time.sleep(SETTLE_SECONDS)
    after = {stack.instance_of(container) for container in stack.replicas()}
    record(f"\n{rollout.stdout}{load.report('rolling replacement')}\nreplaced in {took:.1f} s")
    assert rollout.returncode == 0, rollout.stdout + rollout.stderr
    assert not load.failures()
    assert len(after) == 2
    assert not after & before
    assert {o.instance for o in load.outcomes if o.at > started + took} == after


def test_a_database_outage_is_answered_quickly_and_survived(
    stack: Stack, user: dict[str, str], record: Record
) -> None:
    token = user["auth_token"]
    written = [register(stack.lb) for _ in range(3)]
    upload = requests.post(
        f"{stack.lb}/files",
        headers=bearer(token),
        files={"file": ("kept.txt", b"kept")},
        timeout=30,
    ).json()["data"]
    started = {
        c: stack.docker("inspect", "--format", "{{.State.StartedAt}}", c) for c in stack.replicas()
    }
    ready = Kind(
        "GET /ready", True, lambda s: s.get(f"{stack.lb}/ready", timeout=30), frozenset({200, 503})
    )
    # More clients than elsewhere: each call during the outage may take the whole 3 s.
    with Load([ping(stack), ready, *reads(stack, token, frozenset({200, 503}))], workers=8) as load:
        time.sleep(SETTLE_SECONDS)
        stack.compose("stop", "db")
        down_at = time.time()
        time.sleep(OUTAGE_SECONDS)
        back_at = time.time()  # the database may answer as soon as `compose start` begins
        stack.compose("start", "db")
        recovery = wait_for(
            "API calls to succeed again",
            lambda: requests.get(f"{stack.lb}/users", timeout=30).status_code == 200,
            60,
        )
        time.sleep(SETTLE_SECONDS)
    outage = [o for o in load.outcomes if down_at < o.at - o.elapsed < back_at]  # sent meanwhile
    api = [o for o in outage if o.kind not in ("GET /ping", "GET /ready")]
    record(
        f"\n{load.report(f'database stopped for {OUTAGE_SECONDS:.0f} s')}\n"
        f"during the outage: {len(api)} API calls, slowest {max(o.elapsed for o in api):.2f} s; "
        f"recovered {recovery:.1f} s after the database was started again"
    )
    # every reply a 200 or 503, /ping always 200, no 500, no hang
    assert not load.failures(), stack.crashes()
    assert all(o.json for o in load.outcomes)
    assert api
    assert all(o.status == 503 for o in api)
    assert max(o.elapsed for o in api) < QUICK_SECONDS
    assert {o.status for o in outage if o.kind == "GET /ready"} == {503}
    assert recovery < 30
    # Nothing was restarted, and every acknowledged write survived.
    assert started == {
        c: stack.docker("inspect", "--format", "{{.State.StartedAt}}", c) for c in stack.replicas()
    }
    for person in written:
        status = requests.get(
            f"{stack.lb}/auth/status", headers=bearer(person["auth_token"]), timeout=10
        )
        assert status.json()["data"]["email"] == person["email"]
    kept = requests.get(f"{stack.lb}/files/{upload['id']}", headers=bearer(token), timeout=10)
    assert kept.content == b"kept"

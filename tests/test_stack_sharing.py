"""Proofs 1-4 and 8 on the real compose stack: the replicas behind HAProxy are interchangeable.

Each replica is also reached directly on its dynamic 127.0.0.1 port (as ECS publishes a task
on `hostPort: 0`), so a test can write through one replica and read through another.
"""

import json
import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import jwt
import requests

from services.users.tests.support.helpers import PASSWORD, bearer
from services.users.tests.support.tokens import DEFAULT_ISSUER
from tests.compose_stack import ROOT, STACK_SETTINGS, Stack
from tests.support import Record, register

LB_READS = 20


def test_every_replica_serves_through_the_load_balancer(stack: Stack, record: Record) -> None:
    instances = {stack.instance_of(container) for container in stack.replicas()}
    seen = stack.instances_via_lb(LB_READS)
    record(f"\n{LB_READS} requests through the LB, by instance: {dict(seen)}")
    assert len(instances) == 2
    assert set(seen) == instances
    assert min(seen.values()) >= LB_READS // 4  # round robin, not one replica and a straggler


def test_scaling_out_and_back_needs_no_edit(stack: Stack, record: Record) -> None:
    """`--scale users=3`: the third replica is found through Docker's DNS and served once
    healthy; scaling back leaves the LB on the two that remain."""
    scale = ("up", "--detach", "--no-recreate", "--no-build", "--pull", "never", "--scale")
    stack.compose(*scale, "users=3", "users")
    took = stack.wait_all_healthy(3)
    three = stack.instances_via_lb(3 * LB_READS)
    stack.compose(*scale, "users=2", "users")
    stack.wait_all_healthy(2)
    record(f"\nscaled to 3: healthy after {took:.1f} s; {3 * LB_READS} requests: {dict(three)}")
    assert len(three) == 3


def test_the_seed_004_grader_passes(stack: Stack, record: Record) -> None:
    """A different seed on each replica (set directly); reads through the LB return exactly
    one of them, as a plain string, and every replica's seed is seen."""
    seeds = {}
    for container in stack.replicas():
        seed = secrets.randbelow(10**9)
        reply = requests.post(f"{stack.url_of(container)}/", json={"num": seed}, timeout=5)
        assert reply.status_code == 200
        seeds[str(seed)] = container
    bodies = [requests.get(f"{stack.lb}/", timeout=5) for _ in range(LB_READS)]
    record(f"\nseeds {sorted(seeds)}; read through the LB: {dict(Counter(b.text for b in bodies))}")
    assert all(body.status_code == 200 for body in bodies)
    assert all(body.headers["Content-Type"].startswith("text/plain") for body in bodies)
    assert {body.text for body in bodies} == set(seeds)


def test_user_state_is_shared_and_logout_holds_everywhere(stack: Stack, record: Record) -> None:
    user = register(stack.lb)
    urls = [stack.url_of(container) for container in stack.replicas()]
    tokens = []
    for url in urls:
        login = requests.post(
            f"{url}/auth/login", json={"email": user["email"], "password": PASSWORD}, timeout=30
        )
        assert login.status_code == 200, login.text
        tokens.append(login.json()["auth_token"])
    for url in urls:
        for token in tokens:
            status = requests.get(f"{url}/auth/status", headers=bearer(token), timeout=5)
            assert status.status_code == 200
            assert status.json()["data"]["email"] == user["email"]

    logout = requests.get(f"{urls[0]}/auth/logout", headers=bearer(tokens[0]), timeout=5)
    assert logout.status_code == 200
    for url in [*urls, stack.lb]:
        refused = requests.get(f"{url}/auth/status", headers=bearer(tokens[0]), timeout=5)
        assert refused.status_code == 401, url
        assert refused.json()["status"] == "error"
        # The user's other session, begun on another replica, is untouched.
        other = requests.get(f"{url}/auth/status", headers=bearer(tokens[1]), timeout=5)
        assert other.status_code == 200
    record(f"\nlogged in on {len(urls)} replicas; logout on one refused on all {len(urls)} + LB")


def test_uploads_are_shared_by_every_replica(stack: Stack, record: Record) -> None:
    """Seed 000's bug, fixed: a file stored through one replica exists for all of them."""
    token = register(stack.lb)["auth_token"]
    content = secrets.token_bytes(300_000)
    urls = [stack.url_of(container) for container in stack.replicas()]
    upload = requests.post(
        f"{urls[0]}/files",
        headers=bearer(token),
        files={"file": ("shared.bin", content, "application/octet-stream")},
        timeout=30,
    )
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["data"]["id"]
    for url in [*urls, stack.lb]:
        listed = requests.get(f"{url}/files", headers=bearer(token), timeout=5).json()
        assert file_id in [entry["id"] for entry in listed["data"]["files"]]
        download = requests.get(f"{url}/files/{file_id}", headers=bearer(token), timeout=30)
        assert download.status_code == 200
        assert download.content == content
    record(f"\n{len(content)} bytes uploaded on one replica, identical through {len(urls)} + LB")


def test_concurrent_registrations_across_replicas_make_one_user(
    stack: Stack, record: Record
) -> None:
    attempts = 50
    urls = [stack.url_of(container) for container in stack.replicas()]
    name = f"race{secrets.token_hex(4)}"
    start = threading.Barrier(attempts)

    def attempt(n: int) -> requests.Response:
        body = {"username": f"{name}{n}", "email": f"{name}@example.com", "password": PASSWORD}
        start.wait()
        return requests.post(f"{urls[n % len(urls)]}/auth/register", json=body, timeout=60)

    with ThreadPoolExecutor(attempts) as pool:
        replies = list(pool.map(attempt, range(attempts)))
    statuses = Counter(reply.status_code for reply in replies)
    instances = Counter(reply.headers["X-Instance-Id"] for reply in replies)
    record(
        f"\n{attempts} concurrent registrations of one email: {dict(statuses)}, "
        f"by instance {dict(instances)}"
    )
    assert statuses == {201: 1, 400: attempts - 1}
    assert len(instances) == len(urls)
    refusals = {reply.json()["message"] for reply in replies if reply.status_code == 400}
    assert refusals == {"Sorry. That user already exists."}


def test_forwarded_headers_are_believed_only_from_the_load_balancer(
    stack: Stack, record: Record
) -> None:
    """The address a client claims in X-Forwarded-For is ignored both ways: written to a
    replica directly (not a trusted peer) and sent through HAProxy (which appends the real
    one, the entry the service takes). Through HAProxy the client is not HAProxy itself."""
    spoofed = "203.0.113.77"
    ids = {"direct": secrets.token_hex(8), "lb": secrets.token_hex(8)}
    direct = stack.url_of(stack.replicas()[0])
    for route, base in (("direct", direct), ("lb", stack.lb)):
        headers = {"X-Forwarded-For": spoofed, "X-Request-Id": ids[route]}
        assert requests.get(f"{base}/ping", headers=headers, timeout=5).status_code == 200
    clients = {}
    for line in stack.logs("users").splitlines():
        entry = json.loads(line) if line.startswith("{") else {}
        for route, request_id in ids.items():
            if entry.get("request_id") == request_id:
                clients[route] = entry["client"]
    record(f"\nclient addresses logged for X-Forwarded-For: {spoofed}: {clients}")
    assert set(clients) == {"direct", "lb"}
    assert spoofed not in clients.values()
    assert clients["lb"] != stack.env["EDGE_LB_ADDRESS"]


def test_the_settings_file_reaches_every_replica(stack: Stack) -> None:
    """A setting in the stack's settings file (.env by default) takes effect in each replica,
    with no line of docker-compose.yml naming it."""
    assert "USERS_PAGE_SIZE" not in (ROOT / "docker-compose.yml").read_text()
    page_size = int(STACK_SETTINGS["USERS_PAGE_SIZE"])
    for base in [stack.lb, *map(stack.url_of, stack.replicas())]:
        reply = requests.get(f"{base}/users", headers={"Connection": "close"}, timeout=10)
        assert reply.json()["data"]["limit"] == page_size, base


def test_sessions_and_account_changes_hold_on_every_replica(stack: Stack, record: Record) -> None:
    """RS256 tokens by default, verified with the key set the LB serves; a session ended or
    a password changed through one replica is refused by every replica and the LB."""
    user = register(stack.lb)
    urls = [stack.url_of(container) for container in stack.replicas()]
    pairs = [_login(url, user["email"], PASSWORD) for url in urls]
    status = requests.get(f"{stack.lb}/auth/status", headers=bearer(user["auth_token"]), timeout=5)
    keys = jwt.PyJWKClient(f"{stack.lb}/.well-known/jwks.json")
    for pair in pairs:
        token = pair["auth_token"]
        key = keys.get_signing_key_from_jwt(token).key
        claims = jwt.decode(token, key, algorithms=["RS256"], issuer=DEFAULT_ISSUER)
        assert claims["sub"] == str(status.json()["data"]["id"])
    mine = bearer(pairs[0]["auth_token"])
    listed = requests.get(f"{stack.lb}/auth/sessions", headers=mine, timeout=5)
    assert listed.status_code == 200, listed.text
    sessions = listed.json()["data"]["sessions"]
    assert len(sessions) == 1 + len(urls)  # the registration's, and one login per replica
    ended = jwt.decode(pairs[1]["auth_token"], options={"verify_signature": False})["fam"]
    reply = requests.delete(f"{urls[0]}/auth/sessions/{ended}", headers=mine, timeout=5)
    assert reply.status_code == 200, reply.text
    assert _refused_everywhere([*urls, stack.lb], pairs[1]["auth_token"])
    change = requests.post(
        f"{stack.lb}/auth/password",
        headers=mine,
        json={"current_password": PASSWORD, "new_password": "another pass phrase"},
        timeout=30,
    )
    assert change.status_code == 200, change.text
    assert _refused_everywhere([*urls, stack.lb], user["auth_token"])  # the registration's
    fresh = change.json()["auth_token"]
    for url in [*urls, stack.lb]:
        mine = requests.get(f"{url}/users/me", headers=bearer(fresh), timeout=5)
        assert mine.status_code == 200, url
    record(
        f"\n{len(sessions)} sessions; one ended and a password changed, held on {len(urls)} + LB"
    )


def _login(url: str, email: str, password: str) -> dict[str, str]:
    login = requests.post(
        f"{url}/auth/login", json={"email": email, "password": password}, timeout=30
    )
    assert login.status_code == 200, login.text
    pair: dict[str, str] = login.json()
    return pair


def _refused_everywhere(urls: list[str], token: str) -> bool:
    return all(
        requests.get(f"{url}/auth/status", headers=bearer(token), timeout=5).status_code == 401
        for url in urls
    )

"""The real compose stack, driven through the docker CLI, for the system tests.

Each test run is its own compose project (own containers, networks, volume, image tag and
load-balancer port) with its own settings file, so it never touches a stack a developer has
running, nor reads their .env.
"""

import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

from users_service.auth import rsa_keys

ROOT = Path(__file__).resolve().parent.parent
EXPORT = re.compile(r"^export ([A-Z_]+)=(.*)$")
STARTUP_TIMEOUT = 300  # building the image on a cold cache included
# The stack's settings file (ENV_FILE): it reaches the replicas only through compose's
# env_file, which the page size proves (tests/test_stack_sharing.py).
STACK_SETTINGS = {
    "USERS_PAGE_SIZE": "7",
    # The proofs send far more logins and registrations from one address than a person would;
    # the limits stay on, out of their reach.
    "RATE_LIMIT_LOGIN_PER_IP": "100000/minute",
    "RATE_LIMIT_LOGIN_PER_ACCOUNT": "100000/minute",
    "RATE_LIMIT_REGISTER_PER_IP": "100000/hour",
    "RATE_LIMIT_REGISTER_PER_ACCOUNT": "100000/hour",
}


class EngineUnavailableError(Exception):
    """No Docker engine answers; the reason says how to get one."""


def engine_environment() -> dict[str, str]:
    """The variables that select images for the engine that answers: stand-ins where it
    cannot pull (scripts/local-docker decides, and builds them once)."""
    if shutil.which("docker") is None:
        raise EngineUnavailableError("no docker command on PATH")
    if subprocess.run(["docker", "info"], capture_output=True, check=False).returncode != 0:
        raise EngineUnavailableError(
            'no Docker engine answers: start one (as root: eval "$(scripts/local-docker up)")'
        )
    result = subprocess.run(
        [str(ROOT / "scripts/local-docker"), "up"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"scripts/local-docker up failed:\n{result.stderr}")
    return dict(m.groups() for m in map(EXPORT.match, result.stdout.splitlines()) if m)


def elapsed_since(start: float) -> float:
    return round(time.monotonic() - start, 2)


def wait_for(what: str, check: Callable[[], bool], timeout: float, every: float = 0.2) -> float:
    """Poll until `check()` is true; the seconds it took. Fails the test after `timeout`."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)
    return elapsed_since(start)


@dataclass
class Stack:
    project: str
    lb_port: int
    env: dict[str, str]
    session: requests.Session = field(default_factory=requests.Session)

    @classmethod
    def create(cls, project: str, lb_port: int, images: dict[str, str]) -> "Stack":
        settings = Path(tempfile.mkdtemp(prefix=f"{project}-")) / "settings.env"
        settings.write_text("".join(f"{name}={value}\n" for name, value in STACK_SETTINGS.items()))
        env = {
            **os.environ,
            **images,
            "COMPOSE_PROJECT_NAME": project,
            "IMAGE_TAG": project,
            "LB_PORT": str(lb_port),
            # Not the default subnet, so a developer's own stack can run beside the tests.
            "EDGE_SUBNET": "172.30.142.0/24",
            "EDGE_LB_ADDRESS": "172.30.142.10",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "JWT_PRIVATE_KEYS": rsa_keys.generate_pem(),
            "POSTGRES_PASSWORD": secrets.token_hex(16),
            # For the containers (env_file) and for compose's own variables (instead of .env).
            "ENV_FILE": str(settings),
            "COMPOSE_ENV_FILES": str(settings),
        }
        return cls(project, lb_port, env)

    @property
    def lb(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    def compose(self, *args: str, timeout: float = 120) -> str:
        """A compose command on this stack's project (its directory and variables)."""
        return self.docker("compose", *args, timeout=timeout, env=self.env)

    def docker(self, *args: str, timeout: float = 60, env: dict[str, str] | None = None) -> str:
        result = subprocess.run(
            ["docker", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)}:\n{result.stderr[-3000:]}")
        return result.stdout

    def up(self) -> None:
        self.compose("build", "--pull=false", timeout=STARTUP_TIMEOUT)
        self.compose("up", "--detach", "--wait", "--pull", "never", timeout=STARTUP_TIMEOUT)

    def down(self) -> None:
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "5", timeout=120)
        self.docker("image", "rm", "--force", f"users-service:{self.project}")
        shutil.rmtree(Path(self.env["ENV_FILE"]).parent)

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", "--no-log-prefix", service)

    def crashes(self) -> str:
        """The replicas' log records of unhandled errors, tracebacks included."""
        lines = self.logs("users").splitlines()
        starts = [i for i, line in enumerate(lines) if "unhandled error" in line]
        return (
            "\n".join("\n".join(lines[i : i + 40]) for i in starts) or "no unhandled error logged"
        )

    # Replicas: containers of the `users` service.

    def replicas(self) -> list[str]:
        return self.compose("ps", "--quiet", "--status", "running", "users").split()

    def url_of(self, container: str) -> str:
        """The replica's own address: its container port on its dynamic 127.0.0.1 port."""
        ports = json.loads(
            self.docker("inspect", "--format", "{{json .NetworkSettings.Ports}}", container)
        )
        binding = ports["5000/tcp"][0]
        assert binding["HostIp"] == "127.0.0.1"
        return f"http://127.0.0.1:{binding['HostPort']}"

    def instance_of(self, container: str) -> str:
        # No keep-alive: an idle connection would hold the replica's graceful stop open.
        headers = {"Connection": "close"}
        reply = requests.get(f"{self.url_of(container)}/ping", headers=headers, timeout=5)
        return reply.headers["X-Instance-Id"]

    def health(self, container: str) -> str:
        return self.docker("inspect", "--format", "{{.State.Health.Status}}", container).strip()

    def wait_all_healthy(self, count: int, timeout: float = 90) -> float:
        def ready() -> bool:
            running = self.replicas()
            return len(running) == count and all(self.health(c) == "healthy" for c in running)

        took = wait_for(f"{count} healthy replicas", ready, timeout, every=0.5)
        wait_for("every replica routed by the LB", lambda: self.lb_sees(count), 30, every=0.5)
        return took

    def lb_sees(self, count: int) -> bool:
        return len(self.instances_via_lb(4 * count)) == count

    def instances_via_lb(self, count: int) -> Counter[str]:
        """How many of `count` pings through the load balancer each replica answered."""
        return Counter(
            self.session.get(f"{self.lb}/ping", timeout=5).headers["X-Instance-Id"]
            for _ in range(count)
        )

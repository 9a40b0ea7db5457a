"""System tests: they drive the repository's own commands, over 127.0.0.1 only.

The compose stack (tests/compose_stack.py) is built and started once per run, when a Docker
engine answers; otherwise the tests that need it are skipped with the reason (and fail in
strict mode, as in CI, where .ci/run starts an engine first).
"""

import os
from collections.abc import Iterator

import pytest

from services.users.tests.support.helpers import free_port
from tests.compose_stack import EngineUnavailableError, Stack, engine_environment
from tests.support import Record

# What the proofs measured, repeated at the end of the run (pytest hides passing tests' output).
FIGURES: list[str] = []


def pytest_report_header() -> str:
    try:
        images = engine_environment()
    except EngineUnavailableError as why:
        return f"compose stack: not run ({why})"
    return f"compose stack: runs on the Docker engine that answers; images {images or 'official'}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("figures measured by the system tests")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def record(request: pytest.FixtureRequest) -> Record:
    """Print a measured figure and repeat it in the run's summary."""

    def record(text: str) -> None:
        print(text)
        FIGURES.extend(f"{request.node.name}: {line}" for line in text.strip().splitlines())

    return record


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    try:
        images = engine_environment()
    except EngineUnavailableError as why:
        pytest.skip(f"system tests on the compose stack not run: {why}")
    stack = Stack.create(f"users-systest-{os.getpid()}", free_port(), images)
    try:
        stack.up()
        stack.wait_all_healthy(2)
        yield stack
    finally:
        stack.down()

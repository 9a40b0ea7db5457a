"""Suite-wide rules, shared by the service's tests and the system tests.

STRICT_TESTS=1 (set by .ci/run) turns a missing TEST_DATABASE_URL and every skipped
test into failures, so CI can never go green by quietly testing less.
"""

import os
import time
from pathlib import Path

import pytest

STRICT = os.environ.get("STRICT_TESTS") == "1"
ARTIFACTS = Path(__file__).parent / "test-artifacts"
STARTED = time.time()


def pytest_report_header() -> list[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    database = f"PostgreSQL ({url.rsplit('@', 1)[-1]})" if url else "SQLite (no TEST_DATABASE_URL)"
    return [f"test database: {database}", f"strict mode: {'on' if STRICT else 'off'}"]


def pytest_configure(config: pytest.Config) -> None:
    if STRICT and not os.environ.get("TEST_DATABASE_URL"):
        raise pytest.UsageError("STRICT_TESTS=1 needs TEST_DATABASE_URL: no SQLite fallback in CI")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in strict mode (CI): {report.longrepr}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the files (screenshots) that this run wrote, so the output leads to them."""
    written = sorted(p for p in ARTIFACTS.glob("*") if p.stat().st_mtime >= STARTED)
    if written:
        terminalreporter.section("test artifacts")
        for path in written:
            terminalreporter.write_line(f"{path} ({path.stat().st_size // 1024} KiB)")

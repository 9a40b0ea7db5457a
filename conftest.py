"""Suite-wide rules, shared by the service's tests and the system tests.

Without TEST_DATABASE_URL the suite runs on SQLite, and tests marked `postgres_only` are
skipped with the reason. STRICT_TESTS=1 (set by .ci/run) turns a missing TEST_DATABASE_URL
and every skipped test into failures, so CI can never go green by quietly testing less.
"""

import os
import time
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/test_suite_rules.py runs small suites under these rules

# A developer's .env must not change what the tests see (tests that read one name it).
os.environ["ENV_FILE"] = ""
STRICT = os.environ.get("STRICT_TESTS") == "1"
POSTGRES_ONLY_REASON = (
    'needs PostgreSQL: set TEST_DATABASE_URL (eval "$(scripts/local-postgres create)")'
)
ARTIFACTS = Path(__file__).parent / "test-artifacts"
STARTED = time.time()


def pytest_report_header() -> list[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    database = f"PostgreSQL ({url.rsplit('@', 1)[-1]})" if url else "SQLite (no TEST_DATABASE_URL)"
    return [f"test database: {database}", f"strict mode: {'on' if STRICT else 'off'}"]


def pytest_configure(config: pytest.Config) -> None:
    if STRICT and not os.environ.get("TEST_DATABASE_URL"):
        raise pytest.UsageError("STRICT_TESTS=1 needs TEST_DATABASE_URL: no SQLite fallback in CI")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if os.environ.get("TEST_DATABASE_URL"):
        return
    for item in items:
        if item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.skip(reason=POSTGRES_ONLY_REASON))


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

"""The suite's own rules (conftest.py at the root), run on small suites of their own.

A newcomer's `make test` has no PostgreSQL, Docker or browser: what needs one of them must
skip with a reason that says how to get it. CI's strict mode must turn every such skip into
a failure. Both directions are tested here, so a new PostgreSQL-only test cannot break the
default run again, and a skip can never turn CI green.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = """
import pytest

@pytest.mark.postgres_only
def test_needs_postgres():
    pass

def test_runs_anywhere():
    pass

def test_skips_itself():
    pytest.skip("no widget here")
"""


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A suite under the root conftest's rules, with no database or strict mode set."""
    for name in ("TEST_DATABASE_URL", "STRICT_TESTS", "CI"):
        monkeypatch.delenv(name, raising=False)
    pytester.makeconftest((ROOT / "conftest.py").read_text())
    pytester.makeini("[pytest]\nmarkers =\n    postgres_only: needs PostgreSQL\n")
    pytester.makepyfile(test_sample=SAMPLE)
    return pytester


def test_postgres_only_tests_skip_with_their_reason_without_a_database(
    suite: pytest.Pytester,
) -> None:
    result = suite.runpytest_subprocess("-rs")
    result.assert_outcomes(passed=1, skipped=2)
    result.stdout.fnmatch_lines(
        ["SKIPPED*test_sample.py:3: needs PostgreSQL: set TEST_DATABASE_URL*local-postgres create*"]
    )


def test_postgres_only_tests_run_when_a_database_is_given(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql://u:p@127.0.0.1/db")
    suite.runpytest_subprocess().assert_outcomes(passed=2, skipped=1)


def test_strict_mode_fails_every_skip(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_DATABASE_URL", "postgresql://u:p@127.0.0.1/db")
    monkeypatch.setenv("STRICT_TESTS", "1")
    result = suite.runpytest_subprocess()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*skipped in strict mode (CI)*no widget here*"])


def test_strict_mode_refuses_to_run_without_postgresql(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRICT_TESTS", "1")
    result = suite.runpytest_subprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*STRICT_TESTS=1 needs TEST_DATABASE_URL*"])


def test_the_browser_test_skips_with_its_reason_where_no_browser_is_installed(
    tmp_path: Path,
) -> None:
    """The real /docs browser test, with nothing on PATH: a skip that says what to install."""
    env = {k: v for k, v in os.environ.items() if k not in {"STRICT_TESTS", "CI"}}
    env["PATH"] = str(tmp_path)  # no chromium to be found
    browser_test = ROOT / "services/users/tests/meta/test_docs_browser.py"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-rs", str(browser_test)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 skipped" in result.stdout
    assert "needs a browser: chromium is not installed (apt-get install chromium)" in result.stdout

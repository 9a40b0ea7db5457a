"""The API examples of docs/api.md, pasted into one shell against a real gunicorn, print what
the page says they print.

The block follows `<!-- api-examples -->`. A step is a command (with its continuation lines)
and the `#>` lines after it: its whole output, where `...` stands for any text within a line,
and a line of only `...` for any number of lines. A step without `#>` lines prints nothing.
"""

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from services.users.tests.support.gunicorn_server import running_gunicorn, server_env

ROOT = Path(__file__).resolve().parent.parent
MARKER = "<!-- api-examples -->"
BASE_LINE = "B=http://127.0.0.1:5000"
STEP_SEPARATOR = "@@ next example step @@"


@dataclass
class Step:
    command: str
    expected: list[str]

    def matches(self, output: str) -> bool:
        pattern = "\n".join(_line_pattern(line) for line in self.expected)
        return re.fullmatch(pattern, output.rstrip("\n"), re.DOTALL) is not None


def _line_pattern(line: str) -> str:
    if line == "...":
        return "(?:[^\n]*\n)*?[^\n]*"  # any number of lines
    return ".*?".join(re.escape(part) for part in line.split("..."))


def readme_steps() -> list[Step]:
    text = (ROOT / "docs" / "api.md").read_text()
    block = text.split(MARKER, 1)[1].split("```sh\n", 1)[1].split("\n```", 1)[0]
    steps: list[Step] = []
    for line in block.splitlines():
        if line.startswith("#>"):
            steps[-1].expected.append(line[3:])
        elif line.strip() and not line.startswith("#"):
            if steps and steps[-1].command.endswith("\\"):
                steps[-1].command += "\n" + line
            else:
                steps.append(Step(line, []))
    return steps


def run_steps(steps: list[Step], base_url: str, cwd: Path, env: dict[str, str]) -> list[str]:
    """Run every step in one bash process; the output of each, in order."""
    script = "set -euo pipefail\n" + "\n".join(
        f"echo '{STEP_SEPARATOR}'\n{step.command.replace(BASE_LINE, f'B={base_url}')}"
        for step in steps
    )
    result = subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    outputs = result.stdout.replace("\r\n", "\n").split(STEP_SEPARATOR + "\n")
    return outputs[1:]


def test_the_block_is_found_and_checks_every_reply() -> None:
    steps = readme_steps()
    assert steps[0].command == BASE_LINE
    assert sum(1 for step in steps if step.expected) >= 15


def test_the_api_examples_paste_and_print_what_the_readme_says(tmp_path: Path) -> None:
    """On a new SQLite database, as after `rm -rf var && make run`, with the CLI of `.venv`."""
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    env = server_env(DATA_DIR=str(tmp_path / "var"), RATE_LIMITS_ENABLED="true")
    migrated = subprocess.run(
        [str(ROOT / ".venv/bin/users-service"), "db", "upgrade"],
        env=env,
        capture_output=True,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    with running_gunicorn(env, tmp_path / "gunicorn.log") as server:
        steps = readme_steps()
        outputs = run_steps(steps, server.base_url, tmp_path, {**os.environ, **env})
    assert len(outputs) == len(steps)
    for step, output in zip(steps, outputs, strict=True):
        assert step.matches(output), f"$ {step.command}\nexpected:\n{step.expected}\ngot:\n{output}"
    assert not (tmp_path / "hello.txt").exists()  # the examples clean up after themselves

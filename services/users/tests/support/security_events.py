"""Reading the security event log out of captured output."""

import json
from typing import Any

# What every event line holds besides `by` (written only when an admin acts on another account).
KEYS = ["time", "event", "user_id", "client", "request_id", "instance"]


def json_lines(output: str) -> list[dict[str, Any]]:
    """The JSON objects of `output`, one a line (gunicorn's own lines are skipped)."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def security_events(output: str) -> list[dict[str, Any]]:
    """The security log's entries in `output`, in order (not the access log's)."""
    return [entry for entry in json_lines(output) if "event" in entry]


def without_time(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in entry.items() if key != "time"} for entry in entries]


def assert_none_in(output: str, *secrets: str) -> None:
    """No secret appears in `output`, which must hold at least one event (so that an
    empty capture cannot pass)."""
    assert security_events(output), output
    for secret in secrets:
        assert secret, "an empty secret proves nothing"
        assert secret not in output

"""The security event log through the real gunicorn configuration: its lines on the server's
stdout beside the access log's, one per event, and none on stderr (gunicorn's error log)."""

import re
import time

import pytest
import requests

from services.users.tests.support.gunicorn_server import Serve
from services.users.tests.support.helpers import bearer, register_body
from services.users.tests.support.security_events import security_events

pytestmark = pytest.mark.serving
WRONG = "surely not the password"
LOG_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}")


def test_events_are_on_stdout_beside_the_access_log(serve: Serve) -> None:
    body = register_body(7)
    with serve(INSTANCE_ID="events-test", stderr_apart=True) as server:
        base = server.base_url
        token = requests.post(f"{base}/auth/register", json=body, timeout=10).json()["auth_token"]
        account = requests.get(f"{base}/auth/status", headers=bearer(token), timeout=10).json()
        for request_id, password in (("gunicorn-wrong", WRONG), ("gunicorn-ok", body["password"])):
            credentials = {"email": body["email"], "password": password}
            headers = {"X-Request-Id": request_id}
            requests.post(f"{base}/auth/login", json=credentials, headers=headers, timeout=10)
        time.sleep(0.2)  # let the last lines reach the files
        stdout = server.log_path.read_text()
        assert server.stderr_path is not None
        stderr = server.stderr_path.read_text()
        access = {entry["request_id"]: entry for entry in server.log_lines()}
    events = security_events(stdout)
    user_id = account["data"]["id"]
    assert [(e["event"], e["user_id"], e["request_id"]) for e in events] == [
        ("login.failed", user_id, "gunicorn-wrong"),
        ("login.succeeded", user_id, "gunicorn-ok"),
    ]
    for entry, status in zip(events, (404, 200), strict=True):
        request = access[entry["request_id"]]  # the same request's access-log line
        assert (request["path"], request["status"]) == ("/auth/login", status)
        assert (entry["client"], entry["instance"]) == (request["client"], request["instance"])
        assert entry["instance"] == "events-test"
        assert LOG_TIME.fullmatch(entry["time"])
        assert LOG_TIME.fullmatch(request["time"])
    assert "Listening at" in stderr  # gunicorn's error log is there, and no event with it
    assert "login." not in stderr
    for secret in (WRONG, body["password"], body["email"], token):
        assert secret not in stdout + stderr

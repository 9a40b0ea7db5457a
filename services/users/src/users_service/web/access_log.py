"""gunicorn access log as one JSON object per line on stdout."""

import json
import os
import time
from typing import Any

from gunicorn.glogging import Logger

from users_service.web.request_context import INSTANCE_HEADER, REQUEST_ID_HEADER


class JsonAccessLogger(Logger):  # type: ignore[misc]
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if not self.cfg.accesslog:
            return
        headers = {name.lower(): value for name, value in resp.headers}
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "method": environ.get("REQUEST_METHOD"),
            "path": environ.get("PATH_INFO"),
            "status": _status_code(resp),
            # The client as the service believes it: a trusted proxy's X-Forwarded-For entry
            # (ProxyFix rewrites REMOTE_ADDR in this same environ), else the TCP peer.
            "client": environ.get("REMOTE_ADDR"),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "bytes": getattr(resp, "sent", None),
            "request_id": headers.get(REQUEST_ID_HEADER.lower()),
            "instance": headers.get(INSTANCE_HEADER.lower()),
            "pid": os.getpid(),
        }
        self.access_log.info(json.dumps(entry))


def _status_code(resp: Any) -> int | None:
    """The reply's status: the application's, or that of gunicorn's own error reply (which
    sets only the status line)."""
    code = getattr(resp, "status_code", None)
    if code is None and getattr(resp, "status", None):
        code = int(str(resp.status).split()[0])
    return code

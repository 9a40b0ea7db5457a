"""Headless Chromium driven over the Chrome DevTools Protocol, with no extra dependency.

`--remote-debugging-pipe` speaks CDP over file descriptors 3 (commands in) and 4 (replies
and events out), one JSON message per NUL-terminated chunk: no websocket client needed.
"""

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",  # tests run as root, where the sandbox cannot start
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
]


class CdpError(RuntimeError):
    """A command failed, or the browser said nothing in time."""


class Browser:
    """One Chromium process and one page (a flattened session on a new target)."""

    def __init__(self, profile: Path) -> None:
        """Start Chromium with its profile in `profile`; its output goes to `chromium.log` there."""
        if CHROMIUM is None:
            raise CdpError("chromium is not installed (apt-get install chromium)")
        profile.mkdir(parents=True, exist_ok=True)
        self.log_path = profile / "chromium.log"
        to_browser, self._commands = os.pipe()
        self._replies, from_browser = os.pipe()
        # bash (dash takes one-digit fds only) moves the pipe ends to fds 3 and 4 for Chromium.
        command = f'exec "$0" "$@" 3<&{to_browser} 4>&{from_browser}'
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    "bash",
                    "-c",
                    command,
                    CHROMIUM,
                    *FLAGS,
                    f"--user-data-dir={profile}",
                    "about:blank",
                ],
                pass_fds=(to_browser, from_browser),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._next_id, self.events = b"", 0, []
        self.session = ""

    def open_page(self, width: int, height: int) -> None:
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        attached = self.send("Target.attachToTarget", targetId=target, flatten=True)
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        """Send a command (to the page once one is open) and wait for its result."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") != self._next_id:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise CdpError(f"{method}: {reply['error']}")
            result: dict[str, Any] = reply.get("result", {})
            return result

    def evaluate(self, expression: str, timeout: float = 30) -> Any:
        """The value of a JavaScript expression in the page (promises are awaited)."""
        result = self.send(
            "Runtime.evaluate",
            timeout=timeout,
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise CdpError(f"{expression[:80]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30) -> Any:
        """Poll until the expression is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise CdpError(f"timed out waiting for: {expression}")

    def screenshot(self, path: Path) -> None:
        """A PNG of the viewport."""
        self.evaluate("window.scrollTo(0, 0)")
        data = self.send("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(data["data"]))

    def console_messages(self) -> list[str]:
        """Console and log entries so far (CSP violations appear here)."""
        texts = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Log.entryAdded":
                texts.append(params["entry"]["text"])
            elif event.get("method") == "Runtime.consoleAPICalled":
                texts.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
            elif event.get("method") == "Runtime.exceptionThrown":
                texts.append(str(params["exceptionDetails"].get("text")))
        return texts

    def close(self) -> None:
        """Ask the browser to quit; kill it by its PID if it does not."""
        with contextlib.suppress(CdpError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._replies], [], [], remaining)[0]:
                raise CdpError("the browser did not answer in time")
            chunk = os.read(self._replies, 1 << 16)
            if not chunk:
                raise CdpError(f"the browser closed the pipe:\n{self.log_path.read_text()}")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

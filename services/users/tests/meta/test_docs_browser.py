"""/docs in a real headless Chromium against real gunicorn: a person's path through it.

The page must list every operation of /openapi.json, raise no Content-Security-Policy
violation, and let a person register, log in, authorize with the token and call a
protected route. A screenshot is saved to test-artifacts/docs.png at the repository root.

Playwright drives Debian's chromium (never a downloaded browser: `playwright install` is not
needed and must not run).
"""

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect, sync_playwright

from services.users.tests.support.gunicorn_server import Serve, Server

pytestmark = pytest.mark.serving
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",  # tests run as root, where the sandbox cannot start
    # The network is closed here: without these Chromium keeps retrying Google's services.
    # No name resolves (the page is on 127.0.0.1), so not even a DNS query leaves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LISTED = """blocks => blocks.map(block => [
    block.querySelector('.opblock-summary-method').textContent.toLowerCase(),
    block.querySelector('.opblock-summary-path').dataset.path])"""
# Runs before the page's own scripts: keeps every CSP violation the document reports.
RECORD_VIOLATIONS = """window.cspViolations = [];
document.addEventListener('securitypolicyviolation', event =>
    window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`));"""


@dataclass
class Docs:
    """The /docs page open in the browser, and what its console said so far."""

    page: Page
    server: Server
    console: list[str]

    def csp_violations(self) -> list[str]:
        """Violations seen by the page's listener and those the console reported."""
        seen: list[str] = self.page.evaluate("window.cspViolations")
        return seen + [text for text in self.console if "Content Security" in text]


@pytest.fixture
def docs(serve: Serve) -> Iterator[Docs]:
    if CHROMIUM is None:
        pytest.skip("needs a browser: chromium is not installed (apt-get install chromium)")
    with serve() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2400})
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.on("pageerror", lambda error: console.append(str(error)))
            page.add_init_script(RECORD_VIOLATIONS)
            page.goto(f"{server.base_url}/docs")
            yield Docs(page, server, console)
        finally:
            browser.close()


def test_docs_page_lists_every_operation_and_works(docs: Docs) -> None:
    """Every operation is listed; register, log in, Authorize, then GET /auth/status."""
    page = docs.page
    document = requests.get(f"{docs.server.base_url}/openapi.json", timeout=5).json()
    expected = sorted([method, path] for path, item in document["paths"].items() for method in item)
    expect(page.locator(".opblock")).to_have_count(len(expected))
    assert sorted(page.locator(".opblock").evaluate_all(LISTED)) == expected

    name = f"docs{secrets.token_hex(4)}"
    credentials = {"email": f"{name}@example.com", "password": "correct horse battery"}
    status, _ = execute(page, "auth-auth_register", {"username": name, **credentials})
    assert status == 201
    status, body = execute(page, "auth-auth_login", credentials)
    assert status == 200
    authorize(page, body["auth_token"])
    status, body = execute(page, "auth-auth_status")
    assert status == 200
    assert body["data"]["username"] == name
    for done in ("auth-auth_register", "auth-auth_login"):  # fold them for the picture
        page.locator(f"#operations-{done} .opblock-summary-control").click()
    save_screenshot(page)
    assert docs.csp_violations() == []


def execute(page: Page, operation: str, body: dict[str, Any] | None = None) -> Any:
    """Open an operation, fill its JSON body, press Execute; the reply's code and body."""
    block = page.locator(f"#operations-{operation}")
    block.locator(".opblock-summary-control").click()
    if body is not None:
        block.locator("textarea.body-param__text").fill(json.dumps(body))
    block.locator(".execute").click()
    reply = block.locator(".live-responses-table tr.response")
    status = reply.locator(".response-col_status")
    expect(status).to_have_text(re.compile(r"\d{3}"))
    text = reply.locator(".response-col_description pre").first.text_content()
    assert text is not None
    return int(status.inner_text()), json.loads(text)


def authorize(page: Page, token: str) -> None:
    """Click Authorize, paste the bearer token, confirm, close the dialog."""
    page.locator(".auth-wrapper .authorize").click()
    page.locator(".modal-ux input").fill(token)
    buttons = page.locator(".modal-ux .auth-btn-wrapper")
    buttons.locator(".authorize").click()
    buttons.locator(".btn-done").click()


def save_screenshot(page: Page) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "docs.png"
    page.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
    page.mouse.move(0, 0)  # no hover or focus ring in the picture
    page.screenshot(path=path)
    print(f"\nscreenshot of /docs: {path}")

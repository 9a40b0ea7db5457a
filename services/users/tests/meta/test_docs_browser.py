"""/docs in a real headless Chromium against real gunicorn: a person's path through it.

The page must list every operation of /openapi.json, raise no Content-Security-Policy
violation, and let a person register, log in, authorize with the token and call a
protected route. A screenshot is saved to test-artifacts/docs.png at the repository root.
"""

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from services.users.tests.support.cdp import CHROMIUM, Browser
from services.users.tests.support.gunicorn_server import Serve, Server

pytestmark = pytest.mark.serving
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
LISTED = """[...document.querySelectorAll('.opblock')].map(block => [
    block.querySelector('.opblock-summary-method').textContent.toLowerCase(),
    block.querySelector('.opblock-summary-path').dataset.path])"""
# React owns the inputs: set values through the native setter, then announce the change.
SET_VALUE = """(element, value) => {
    const prototype = Object.getPrototypeOf(element);
    Object.getOwnPropertyDescriptor(prototype, 'value').set.call(element, value);
    element.dispatchEvent(new Event('input', {bubbles: true}));
}"""


@pytest.fixture
def page(serve: Serve, tmp_path: Path) -> Iterator[tuple[Browser, Server]]:
    if CHROMIUM is None:
        pytest.skip("needs a browser: chromium is not installed (apt-get install chromium)")
    with serve() as server:
        browser = Browser(tmp_path / "chromium-profile")
        try:
            browser.open_page(width=1280, height=2400)
            browser.send("Page.navigate", url=f"{server.base_url}/docs")
            yield browser, server
        finally:
            browser.close()


def test_docs_page_lists_every_operation_and_works(page: tuple[Browser, Server]) -> None:
    """Every operation is listed; register, log in, Authorize, then GET /auth/status."""
    browser, server = page
    document = requests.get(f"{server.base_url}/openapi.json", timeout=5).json()
    expected = sorted([method, path] for path, item in document["paths"].items() for method in item)
    browser.wait_for(f"document.querySelectorAll('.opblock').length === {len(expected)}")
    assert sorted(browser.evaluate(LISTED)) == expected

    name = f"docs{secrets.token_hex(4)}"
    credentials = {"email": f"{name}@example.com", "password": "correct horse battery"}
    status, _ = execute(browser, "auth-auth_register", {"username": name, **credentials})
    assert status == 201
    status, body = execute(browser, "auth-auth_login", credentials)
    assert status == 200
    authorize(browser, body["auth_token"])
    status, body = execute(browser, "auth-auth_status")
    assert status == 200
    assert body["data"]["username"] == name
    for done in ("auth-auth_register", "auth-auth_login"):  # fold them for the picture
        browser.evaluate(
            f"document.querySelector('#operations-{done} .opblock-summary-control').click()"
        )
    save_screenshot(browser)
    violations = [text for text in browser.console_messages() if "Content Security" in text]
    assert violations == []


def execute(browser: Browser, operation: str, body: dict[str, Any] | None = None) -> Any:
    """Open an operation, fill its JSON body, press Execute; the reply's code and body."""
    block = f"document.querySelector('#operations-{operation}')"
    browser.evaluate(f"{block}.querySelector('.opblock-summary-control').click()")
    browser.wait_for(f"!!{block}.querySelector('.execute')")
    if body is not None:
        textarea = f"{block}.querySelector('textarea.body-param__text')"
        browser.wait_for(f"!!{textarea}")
        browser.evaluate(f"({SET_VALUE})({textarea}, {json.dumps(json.dumps(body))})")
    browser.evaluate(f"{block}.querySelector('.execute').click()")
    cell = f"{block}.querySelector('.live-responses-table tr.response .response-col_status')"
    status = int(browser.wait_for(f"{cell} && {cell}.textContent"))
    reply = browser.evaluate(
        f"{block}.querySelector('.live-responses-table tr.response .response-col_description pre')"
        ".textContent"
    )
    return status, json.loads(reply)


def authorize(browser: Browser, token: str) -> None:
    """Click Authorize, paste the bearer token, confirm, close the dialog."""
    browser.evaluate("document.querySelector('.auth-wrapper .authorize').click()")
    field = "document.querySelector('.modal-ux input')"
    browser.wait_for(f"!!{field}")
    browser.evaluate(f"({SET_VALUE})({field}, {json.dumps(token)})")
    browser.evaluate("document.querySelector('.modal-ux .auth-btn-wrapper .authorize').click()")
    browser.wait_for("!!document.querySelector('.modal-ux .auth-btn-wrapper .btn-done')")
    browser.evaluate("document.querySelector('.modal-ux .auth-btn-wrapper .btn-done').click()")


def save_screenshot(browser: Browser) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "docs.png"
    browser.screenshot(path)
    print(f"\nscreenshot of /docs: {path}")

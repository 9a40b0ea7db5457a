"""The few HTTP calls the bench makes itself: the first account, and a token for it."""

import requests

TIMEOUT_S = 30


def register(base_url: str, username: str, email: str, password: str) -> None:
    body = {"username": username, "email": email, "password": password}
    reply = requests.post(f"{base_url}/auth/register", json=body, timeout=TIMEOUT_S)
    _expect(reply, 201)


def login(base_url: str, email: str, password: str) -> str:
    body = {"email": email, "password": password}
    reply = requests.post(f"{base_url}/auth/login", json=body, timeout=TIMEOUT_S)
    _expect(reply, 200)
    token: str = reply.json()["auth_token"]
    return token


def _expect(reply: requests.Response, status: int) -> None:
    if reply.status_code != status:
        raise RuntimeError(f"{reply.request.method} {reply.url}: {reply.status_code} {reply.text}")

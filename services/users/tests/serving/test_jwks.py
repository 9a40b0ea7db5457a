"""Our RS256 tokens verified as another service would: PyJWT's PyJWKClient against the key
set a real gunicorn serves, found through the discovery document, across a key rotation."""

import stat
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from users_service.auth import rsa_keys
from users_service.auth.signing_key import RSA_KEY_FILE_NAME
from users_service.config import Settings

from services.users.tests.support.gunicorn_server import Serve, Server
from services.users.tests.support.helpers import bearer, register_body

pytestmark = pytest.mark.serving
JWKS = "/.well-known/jwks.json"
MAX_BATCHES = 20


def _register(server: Server, n: int) -> str:
    reply = requests.post(f"{server.base_url}/auth/register", json=register_body(n), timeout=10)
    assert reply.status_code == 201, reply.text
    token: str = reply.json()["auth_token"]
    return token


def _verified_elsewhere(server: Server, token: str) -> dict[str, Any]:
    """What a service behind the same ALB does: discover the key set, fetch the key the token
    names, verify signature, algorithm and issuer."""
    discovery = requests.get(f"{server.base_url}/.well-known/openid-configuration", timeout=5)
    document = discovery.json()
    assert document["jwks_uri"] == f"{server.base_url}{JWKS}"
    key = jwt.PyJWKClient(document["jwks_uri"], cache_keys=False).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["RS256"], issuer=document["issuer"]
    )
    return claims


def _status(server: Server, token: str) -> int:
    reply = requests.get(f"{server.base_url}/auth/status", headers=bearer(token), timeout=5)
    return reply.status_code


def test_pyjwkclient_verifies_our_tokens_through_a_key_rotation(
    serve: Serve, settings: Settings
) -> None:
    """Before: one key. After: a new key first (it signs) and the old one still listed, so a
    token the old key signed keeps verifying, here and elsewhere, until it expires."""
    assert settings.jwt_private_keys is not None
    old_pem, new_pem = settings.jwt_private_keys.get_secret_value(), rsa_keys.generate_pem()
    with serve() as server:
        old_token = _register(server, 1)
        assert _verified_elsewhere(server, old_token)["typ"] == "access"
    with serve(JWT_PRIVATE_KEYS=new_pem + old_pem) as server:
        new_token = _register(server, 2)
        kids = [jwt.get_unverified_header(t)["kid"] for t in (old_token, new_token)]
        assert kids == [rsa_keys.parse_keys(pem)[0].kid for pem in (old_pem, new_pem)]
        subjects = [_verified_elsewhere(server, t)["sub"] for t in (old_token, new_token)]
        assert subjects[0] != subjects[1]
        assert [_status(server, t) for t in (old_token, new_token)] == [200, 200]
    with serve(JWT_PRIVATE_KEYS=new_pem) as server:  # the old key retired
        assert _status(server, old_token) == 401
        with pytest.raises(jwt.PyJWKClientError):
            _verified_elsewhere(server, old_token)
        assert _verified_elsewhere(server, new_token)["sub"] == subjects[1]


def test_generated_development_key_is_private_and_shared_by_workers(
    serve: Serve, tmp_path: Path
) -> None:
    """No JWT_PRIVATE_KEYS outside production: one key file (0600) in DATA_DIR, the same key in
    every worker process."""
    kids: set[str] = set()
    with serve(JWT_PRIVATE_KEYS="", WEB_CONCURRENCY="2") as server:
        for _ in range(MAX_BATCHES):
            for _ in range(20):
                reply = requests.get(
                    f"{server.base_url}{JWKS}", headers={"Connection": "close"}, timeout=5
                )
                kids |= {jwk["kid"] for jwk in reply.json()["keys"]}
            time.sleep(0.1)  # let the access log reach the file
            pids = {e["pid"] for e in server.log_lines() if e["path"] == JWKS}
            if len(pids) >= 2:
                break
        token = _register(server, 1)
        assert _verified_elsewhere(server, token)["typ"] == "access"
    path = tmp_path / RSA_KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(pids) >= 2
    assert kids == {rsa_keys.parse_keys(path.read_text())[0].kid}


def test_unusable_keys_stop_the_master(serve: Serve) -> None:
    """A JWT_PRIVATE_KEYS that is not a key: gunicorn does not start, and says which setting."""
    with (
        pytest.raises(RuntimeError, match="JWT_PRIVATE_KEYS") as caught,
        serve(JWT_PRIVATE_KEYS="-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----"),
    ):
        pass
    assert "not-a-key" not in str(caught.value)

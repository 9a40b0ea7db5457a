"""The published keys and their discovery document, for the services (and the ALB) that
verify our access tokens themselves: /.well-known/jwks.json, /.well-known/openid-configuration.
"""

from flask import Blueprint, Response, url_for

from users_service.auth import rsa_keys
from users_service.auth.schemas import DiscoveryReply, JwksReply, PublicJwk
from users_service.auth.signing_key import current_token_keys
from users_service.meta.openapi import ReplyDoc, documented
from users_service.meta.openapi.standard import CACHE_CONTROL
from users_service.web.wire import Reply, reply

bp = Blueprint("keys", __name__, url_prefix="/.well-known")
# Short, so that a key published ahead of a rotation reaches verifiers within minutes (a
# verifier that meets an unknown `kid` fetches the set again anyway).
CACHEABLE = "public, max-age=300"


def _cacheable(description: str, model: type[Reply]) -> ReplyDoc:
    return ReplyDoc(description, model, headers=(CACHE_CONTROL,))


def _cached_reply(body: Reply) -> Response:
    response, _ = reply(body)
    response.headers[CACHE_CONTROL] = CACHEABLE
    return response


@bp.get("/jwks.json")
@documented("Token keys", replies={200: _cacheable("The key set.", JwksReply)}, database=False)
def jwks() -> Response:
    """The public keys that verify access tokens, each named by the `kid` that tokens carry:
    every key of JWT_PRIVATE_KEYS, in its order (the first signs). Empty under HS256."""
    published = [
        PublicJwk.model_validate(rsa_keys.public_jwk(kid, public))
        for kid, public in current_token_keys().published().items()
    ]
    return _cached_reply(JwksReply(keys=published))


@bp.get("/openid-configuration")
@documented(
    "Key discovery",
    replies={200: _cacheable("Where the keys are.", DiscoveryReply)},
    database=False,
)
def openid_configuration() -> Response:
    """The issuer of our tokens (JWT_ISSUER) and the absolute URL of the key set, built from
    the request's Host and scheme (X-Forwarded-Proto only from a trusted proxy)."""
    issuer = current_token_keys().issuer
    jwks_uri = url_for("keys.jwks", _external=True)
    return _cached_reply(DiscoveryReply(issuer=issuer, jwks_uri=jwks_uri))

"""RS256 signing keys: read from PEM, generated, and published as JWKs named by their
RFC 7638 thumbprint.

Several keys rotate: the first signs, the others (earlier keys, or a new one published ahead
of use) are only published and accepted. The ALB's `jwt-validation` reads at most 10 keys.
"""

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from jwt.algorithms import RSAAlgorithm

ALGORITHM = "RS256"
MIN_BITS = 2048
GENERATED_BITS = 3072
MAX_KEYS = 10
PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z ]+)-----.+?-----END \1-----", re.DOTALL)
# The members RFC 7638 hashes for an RSA key, in the lexicographic order it requires.
THUMBPRINT_MEMBERS = ("e", "kty", "n")


class KeyConfigError(ValueError):
    """The configured keys cannot be used; the message never quotes key material."""


@dataclass(frozen=True)
class RsaKey:
    private: rsa.RSAPrivateKey
    kid: str

    @property
    def public(self) -> rsa.RSAPublicKey:
        return self.private.public_key()


def public_jwk(kid: str, public: rsa.RSAPublicKey) -> dict[str, str]:
    """A public key's JWK, as /.well-known/jwks.json publishes it."""
    jwk = public_jwk_members(public)
    return {"kty": "RSA", "kid": kid, "alg": ALGORITHM, "use": "sig", "n": jwk["n"], "e": jwk["e"]}


def public_jwk_members(public: rsa.RSAPublicKey) -> dict[str, str]:
    members: dict[str, str] = RSAAlgorithm.to_jwk(public, as_dict=True)
    return members


def thumbprint(public: rsa.RSAPublicKey) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without white space; base64url."""
    jwk = public_jwk_members(public)
    canonical = json.dumps({name: jwk[name] for name in THUMBPRINT_MEMBERS}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def generate_pem() -> str:
    """A new private key in the format JWT_PRIVATE_KEYS expects (unencrypted PKCS #8 PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=GENERATED_BITS)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return pem.decode()


@lru_cache(maxsize=8)
def parse_keys(text: str) -> tuple[RsaKey, ...]:
    """The PEM private keys in `text`, in order. Cached: every app of a process reads the
    same setting."""
    blocks = [match.group(0) for match in PEM_BLOCK.finditer(text)]
    if not 1 <= len(blocks) <= MAX_KEYS:
        raise KeyConfigError(f"JWT_PRIVATE_KEYS must hold 1 to {MAX_KEYS} PEM private keys")
    keys = tuple(_load(block, position) for position, block in enumerate(blocks, 1))
    if len({key.kid for key in keys}) != len(keys):
        raise KeyConfigError("JWT_PRIVATE_KEYS holds the same key twice")
    return keys


def _load(block: str, position: int) -> RsaKey:
    try:
        # OpenSSL's full check of an RSA key (primality of its factors) takes over 100 ms, a
        # tenth of a start. What signing depends on is checked below instead, in a millisecond.
        key = serialization.load_pem_private_key(
            block.encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # No chained error: a traceback must not carry any part of the key.
        message = f"JWT_PRIVATE_KEYS: key {position} is not an unencrypted PEM private key"
        raise KeyConfigError(message) from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_BITS:
        message = f"JWT_PRIVATE_KEYS: key {position} is not an RSA key of {MIN_BITS} bits or more"
        raise KeyConfigError(message)
    if not _signs_consistently(key):
        raise KeyConfigError(f"JWT_PRIVATE_KEYS: key {position} is inconsistent (corrupted)")
    return RsaKey(key, thumbprint(key.public_key()))


def _signs_consistently(key: rsa.RSAPrivateKey) -> bool:
    """A pairwise consistency test: the public half verifies what the private half signs.
    A private value that does not match its modulus would otherwise sign tokens nobody can
    verify, and such faulty signatures can give the key away."""
    message = b"pairwise consistency test"
    signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    try:
        key.public_key().verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True

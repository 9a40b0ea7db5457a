"""The image carries the CAs of Amazon RDS where the database URLs on AWS say it does, so the
service can connect with sslmode=verify-full (scripts/rds-ca-bundle rebuilds the file)."""

import re
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID

from tests.cfn_templates import load

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "services/users/certs/rds-global-bundle.pem"


def certificates() -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(BUNDLE.read_bytes())


def test_the_bundle_holds_only_certificate_authorities_of_amazon_rds() -> None:
    found = certificates()
    assert len(found) >= 100  # a root per region and generation
    for certificate in found:
        subject = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert str(subject).startswith("Amazon RDS"), subject
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        assert constraints.value.ca


def test_the_current_generation_of_roots_is_valid_today() -> None:
    now = datetime.now(UTC)
    names = {
        str(c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
        for c in certificates()
        if c.not_valid_before_utc <= now <= c.not_valid_after_utc
    }
    for generation in ("RSA2048 G1", "RSA4096 G1", "ECC384 G1"):
        assert f"Amazon RDS us-east-1 Root CA {generation}" in names


def test_the_image_puts_it_where_the_database_urls_name_it() -> None:
    path = load("database")["Parameters"]["CaBundlePath"]["Default"]
    dockerfile = (ROOT / "services/users/Dockerfile").read_text()
    assert re.search(rf"^COPY certs/rds-global-bundle\.pem {re.escape(path)}$", dockerfile, re.M)
    assert "!certs/rds-global-bundle.pem" in (ROOT / "services/users/.dockerignore").read_text()

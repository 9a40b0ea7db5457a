"""`users-service jwt-key`: a new signing key for JWT_PRIVATE_KEYS."""

import click

from users_service.auth import rsa_keys


@click.command("jwt-key")
def jwt_key_command() -> None:
    """Print a new RSA private key (PEM) for JWT_PRIVATE_KEYS, to stdout only: put it first to
    sign with it, or last to publish it ahead of a rotation (docs/deploy-aws.md)."""
    click.echo(rsa_keys.generate_pem(), nl=False)

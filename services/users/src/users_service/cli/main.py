"""The `users-service` command: the app's commands, on an app built from the settings."""

from flask.cli import FlaskGroup

from users_service.app import create_app
from users_service.cli import keys
from users_service.config import configure_logging


def command_group() -> FlaskGroup:
    group = FlaskGroup(create_app=create_app, help="Users service operator commands.")
    # On the group, not the app: it builds no app and reads no settings, so it works where
    # the service cannot start yet (production before its first key exists).
    group.add_command(keys.jwt_key_command)
    return group


def main() -> None:
    configure_logging()
    command_group()()

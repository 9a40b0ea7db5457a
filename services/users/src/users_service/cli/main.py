"""The `users-service` command: the app's commands, on an app built from the settings."""

from flask.cli import FlaskGroup

from users_service.app import create_app
from users_service.config import configure_logging


def main() -> None:
    configure_logging()
    FlaskGroup(create_app=create_app, help="Users service operator commands.")()

"""Alembic, driven from the settings object: the one way the schema changes."""

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

from users_service.config import Settings

SCRIPT_LOCATION = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    # Alembic binds its output stream at import time; bind it now so CLI runners capture it.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # Passed as an attribute, not an option: ConfigParser would mangle '%' in passwords.
    config.attributes["database_url"] = settings.sqlalchemy_url
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str) -> None:
    command.downgrade(alembic_config(settings), revision)


def current(settings: Settings) -> None:
    command.current(alembic_config(settings), verbose=True)


def revision(settings: Settings, message: str, autogenerate: bool) -> None:
    command.revision(alembic_config(settings), message=message, autogenerate=autogenerate)

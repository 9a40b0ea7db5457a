"""Alembic, driven from the settings object: the one way the schema changes.

`users-service db ...` calls these. Alembic itself is imported only when one runs: it costs
about 12 MiB and 0.2 s per process, for nothing in a process that only serves.
"""

import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from users_service.config import Settings
from users_service.migrations.app_role import grant_app_role
from users_service.migrations.lock import locked_connection

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPT_LOCATION = Path(__file__).parent  # this package is also Alembic's script folder


def alembic_config(settings: Settings) -> "Config":
    from alembic.config import Config

    # Alembic binds its output stream at import time; bind it now so CLI runners capture it.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    # Passed as an attribute, not an option: ConfigParser would mangle '%' in passwords.
    config.attributes["database_url"] = settings.sqlalchemy_url
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate to `revision`. On PostgreSQL, under the migration lock (one at a time), and
    then grant APP_DATABASE_URL's role, when it is set, what the service needs."""
    if not settings.sqlalchemy_url.startswith("postgresql"):  # SQLite: one file, one writer
        if settings.database_url is None:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        _command().upgrade(alembic_config(settings), revision)
        return
    with locked_connection(settings) as connection:
        config = alembic_config(settings)
        config.attributes["connection"] = connection
        _command().upgrade(config, revision)
        if settings.app_database_url is not None:
            grant_app_role(connection, settings.app_database_url.get_secret_value())
        connection.commit()


def downgrade(settings: Settings, revision: str) -> None:
    _command().downgrade(alembic_config(settings), revision)


def current(settings: Settings) -> None:
    _command().current(alembic_config(settings), verbose=True)


def revision(settings: Settings, message: str, autogenerate: bool) -> None:
    _command().revision(alembic_config(settings), message=message, autogenerate=autogenerate)


def _command() -> ModuleType:
    from alembic import command

    return command

"""Fixtures of the migration tests."""

import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from users_service import migrations
from users_service.config import Settings, normalize_database_url

Migrated = Callable[[str], tuple[Settings, Engine]]


@pytest.fixture
def isolated_schema(database_url: str, is_postgres: bool) -> Iterator[tuple[str, str]]:
    """A throwaway PostgreSQL schema and a URL whose search_path points at it."""
    assert is_postgres
    schema = f"migration_test_{secrets.token_hex(6)}"
    admin = create_engine(normalize_database_url(database_url))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in database_url else "?"
    try:
        yield schema, f"{database_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def migrated_to(
    request: pytest.FixtureRequest,
    is_postgres: bool,
    make_settings: Callable[..., Settings],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Migrated]:
    """`migrated_to(revision)`: a new database (a SQLite file, or a PostgreSQL schema of its
    own) upgraded to `revision`; its settings and an engine on it."""
    engines: list[Engine] = []

    def factory(revision: str) -> tuple[Settings, Engine]:
        if is_postgres:
            url = request.getfixturevalue("isolated_schema")[1]
        else:
            url = f"sqlite:///{tmp_path_factory.mktemp('migrated') / 'users.sqlite3'}"
        settings = make_settings(database_url=url)
        migrations.upgrade(settings, revision)
        engines.append(create_engine(settings.sqlalchemy_url))
        return settings, engines[-1]

    yield factory
    for engine in engines:
        engine.dispose()

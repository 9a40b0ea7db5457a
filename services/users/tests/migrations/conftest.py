"""Fixtures of the migration tests."""

import secrets
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from users_service.config import normalize_database_url


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

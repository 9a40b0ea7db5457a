"""The database role the serving tasks connect as: data privileges only.

Migrations run as the schema's owner. The application connects as its own role, which can
read and write rows but cannot create, alter or drop anything, so a flaw in the service
cannot drop a table. `db upgrade` creates that role (or sets its password) from
APP_DATABASE_URL and grants it what it needs, including on tables later migrations create.
"""

from sqlalchemy import Connection
from sqlalchemy.engine import make_url

DATA = "SELECT, INSERT, UPDATE, DELETE"


def grant_app_role(connection: Connection, app_database_url: str) -> str:
    """Create or update the role named in `app_database_url`; its name."""
    url = make_url(app_database_url)
    if not url.username or not url.password:
        raise ValueError("APP_DATABASE_URL must name a user and a password")
    role = connection.dialect.identifier_preparer.quote(url.username)
    exists = connection.exec_driver_sql(
        "SELECT 1 FROM pg_roles WHERE rolname = %(name)s", {"name": url.username}
    ).first()
    verb = "ALTER" if exists else "CREATE"
    connection.exec_driver_sql(
        f"{verb} ROLE {role} LOGIN PASSWORD %(password)s", {"password": url.password}
    )
    database, schema = connection.exec_driver_sql(
        "SELECT current_database(), current_schema()"
    ).one()
    quote = connection.dialect.identifier_preparer.quote
    for statement in _grants(role, quote(database), quote(schema)):
        connection.exec_driver_sql(statement)
    return url.username


def _grants(role: str, database: str, schema: str) -> list[str]:
    """On the schema the migrations write to (`public`, unless search_path says otherwise)."""
    return [
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA {schema} TO {role}",
        f"GRANT {DATA} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        # Tables and sequences that later migrations (run by this same owner) create.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {DATA} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        # Which revision the schema is at is the migrations' business alone.
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {role}",
    ]

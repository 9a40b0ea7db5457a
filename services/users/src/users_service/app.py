"""The application factory: small, named registration steps."""

import logging

from flask import Flask

from users_service.api import register_blueprints
from users_service.cli import register_commands
from users_service.config import Settings, load_settings
from users_service.errors import register_error_handlers
from users_service.extensions import cors, db
from users_service.instance import resolve_instance_id
from users_service.proxies import TrustedProxies
from users_service.request_context import (
    INSTANCE_HEADER,
    REQUEST_ID_HEADER,
    register_request_context,
)
from users_service.runtime import EXTENSION_KEY, Runtime
from users_service.security.passwords import PasswordHasher
from users_service.seed_store import SeedStore
from users_service.signing_key import resolve_signing_key
from users_service.storage import build_storage


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic announces each of its built-in plugins at INFO on every `db upgrade`.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    register_proxy_trust(app, settings)
    register_extensions(app, settings)
    runtime = register_runtime(app, settings)
    register_request_context(app, runtime.instance_id)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_proxy_trust(app: Flask, settings: Settings) -> None:
    """Believe X-Forwarded-For/-Proto only from trusted proxies, and only as far as the
    configured number of them append to the headers."""
    if settings.trusted_proxy_count:
        app.wsgi_app = TrustedProxies(  # type: ignore[method-assign]
            app.wsgi_app, settings.trusted_proxy_count, settings.trusted_proxy_networks
        )


def register_extensions(app: Flask, settings: Settings) -> None:
    db.init_app(app, settings)
    if settings.cors_origins:
        cors.init_app(
            app,
            origins=list(settings.cors_origins),
            expose_headers=[REQUEST_ID_HEADER, INSTANCE_HEADER],
        )


def register_runtime(app: Flask, settings: Settings) -> Runtime:
    hasher = PasswordHasher(
        settings.argon2_time_cost,
        settings.argon2_memory_kib,
        settings.argon2_parallelism,
        settings.hash_threads,
    )
    seed = SeedStore(settings.seed_file) if settings.seed_file else SeedStore.private()
    runtime = Runtime(
        settings,
        resolve_signing_key(settings),
        hasher,
        resolve_instance_id(settings),
        seed,
        build_storage(settings),
    )
    app.extensions[EXTENSION_KEY] = runtime
    return runtime

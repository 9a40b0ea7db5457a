"""The application factory: small, named registration steps."""

from collections.abc import Callable
from typing import Any

from flask import Flask, Response
from flask_cors import CORS

from users_service import config, mail
from users_service.auth import mail_routes, passwords, session_routes, signing_key, well_known
from users_service.auth import routes as auth_routes
from users_service.cli import register_commands
from users_service.config import Settings, load_settings
from users_service.files import routes as files_routes
from users_service.files import storage
from users_service.meta import docs, health, seed, seed_store
from users_service.models.database import db
from users_service.users import account_routes
from users_service.users import routes as users_routes
from users_service.web.errors import register_error_handlers
from users_service.web.instance_id import resolve_instance_id
from users_service.web.request_context import (
    INSTANCE_HEADER,
    REQUEST_ID_HEADER,
    register_request_context,
)
from users_service.web.security_log import register_security_log
from users_service.web.trusted_proxies import TrustedProxies
from users_service.web.wire import Message, reply

cors = CORS()


class ServiceFlask(Flask):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_callables: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask asks this of the view and of every hook, on every request, and inspects the
        function each time to see whether it is a coroutine: the answer never changes."""
        known = self._sync_callables.get(func)
        if known is None:
            known = self._sync_callables[func] = super().ensure_sync(func)
        return known

    def make_default_options_response(self) -> Response:
        """OPTIONS on any route: the methods it allows, in the JSON envelope (CORS, when
        configured, adds its headers to this reply)."""
        allowed = super().make_default_options_response().headers["Allow"]
        response, _ = reply(Message(message=f"Allowed methods: {allowed}."))
        response.headers["Allow"] = allowed
        return response


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = ServiceFlask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    register_proxy_trust(app, settings)
    register_extensions(app, settings)
    register_services(app, settings)
    register_request_context(app, resolve_instance_id(settings))
    register_security_log(app)
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


def register_services(app: Flask, settings: Settings) -> None:
    """What requests need besides the database, built once per app; each part of the service
    keeps its own and reads it back with its `current_...()`."""
    for part in (config, passwords, signing_key, storage, seed_store, mail):
        part.init_app(app, settings)


def register_blueprints(app: Flask) -> None:
    for routes in (
        health,
        auth_routes,
        session_routes,
        mail_routes,
        well_known,
        account_routes,
        users_routes,
        files_routes,
        seed,
        docs,
    ):
        app.register_blueprint(routes.bp)

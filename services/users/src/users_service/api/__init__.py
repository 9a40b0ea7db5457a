"""HTTP routes, one module per resource; views only orchestrate."""

from flask import Flask

from users_service.api import auth, health, seed, users


def register_blueprints(app: Flask) -> None:
    for module in (health, auth, users, seed):
        app.register_blueprint(module.bp)

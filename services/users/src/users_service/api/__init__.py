"""HTTP routes, one module per resource; views only orchestrate."""

from flask import Flask

from users_service.api import auth, docs, files, health, seed, users


def register_blueprints(app: Flask) -> None:
    for module in (health, auth, users, files, seed, docs):
        app.register_blueprint(module.bp)

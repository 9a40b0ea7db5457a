"""Liveness and readiness, for the load balancer and the orchestrator."""

from flask import Blueprint, Response, jsonify

from users_service.errors import DATABASE_UNAVAILABLE, json_error
from users_service.extensions import db

bp = Blueprint("health", __name__)
READY_TIMEOUT_MS = 1000


@bp.get("/ping")
def ping() -> Response:
    """Liveness: answers without touching the database, so a database outage does not make
    the load balancer kill healthy instances."""
    return jsonify(status="success", message="pong!")


@bp.get("/ready")
def ready() -> Response:
    """Readiness: 200 when the database answers within a second, else 503."""
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {READY_TIMEOUT_MS}")
            connection.exec_driver_sql("SELECT 1")
    except DATABASE_UNAVAILABLE:
        return json_error(
            503, "Not ready: the database cannot be reached.", checks={"database": "unavailable"}
        )
    return jsonify(status="success", message="ready", checks={"database": "ok"})

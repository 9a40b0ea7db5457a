"""Liveness and readiness, for the load balancer and the orchestrator."""

from flask import Blueprint, Response

from users_service.meta.openapi import ReplyDoc, documented
from users_service.meta.schemas import NotReadyReply, ReadinessChecks, ReadyReply
from users_service.models.database import db
from users_service.web.errors import DATABASE_UNAVAILABLE
from users_service.web.wire import Message, reply

bp = Blueprint("health", __name__)
READY_TIMEOUT_MS = 1000
NOT_READY = "Not ready: the database cannot be reached."
# Serialised once: the load balancer asks every few seconds per target, benchmarks far more.
PONG = Message(message="pong!").model_dump_json().encode() + b"\n"


@bp.get("/ping")
@documented("Liveness", replies={200: Message}, database=False)
def ping() -> Response:
    """Liveness: answers without touching the database, so a database outage does not make
    the load balancer kill healthy instances."""
    return Response(PONG, mimetype="application/json")


@bp.get("/ready")
@documented(
    "Readiness",
    replies={200: ReadyReply, 503: ReplyDoc("The database is unreachable.", NotReadyReply)},
    database=False,  # its own 503 above: a database failure never escapes this view
)
def ready() -> tuple[Response, int]:
    """Readiness: 200 when the database answers within a second, else 503."""
    try:
        with db.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {READY_TIMEOUT_MS}")
            connection.exec_driver_sql("SELECT 1")
    except DATABASE_UNAVAILABLE:
        down = ReadinessChecks(database="unavailable")
        return reply(NotReadyReply(status="error", message=NOT_READY, checks=down), 503)
    return reply(ReadyReply(message="ready", checks=ReadinessChecks(database="ok")))

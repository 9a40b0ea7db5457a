"""Seed 004's value app: GET / and POST / on this instance (per-instance by design)."""

from flask import Blueprint, Response, jsonify

from users_service.runtime import runtime
from users_service.schemas import SeedValue, validate

bp = Blueprint("seed", __name__)


@bp.get("/")
def get_seed() -> Response:
    """The seed as a plain-text integer, e.g. `100` (default `0`)."""
    return Response(str(runtime().seed.get()), mimetype="text/plain")


@bp.post("/")
def set_seed() -> Response:
    """Set this instance's seed from JSON `{"num": <integer>}`."""
    value = validate(SeedValue).num
    runtime().seed.set(value)
    return jsonify(status="success", message="Seed updated.", num=value)

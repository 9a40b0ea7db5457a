"""Seed 004's value app: GET / and POST / on this instance (per-instance by design)."""

from flask import Blueprint, Response

from users_service.meta.openapi import ReplyDoc, documented
from users_service.meta.schemas import SeedReply, SeedUpdate
from users_service.meta.seed_store import current_seed
from users_service.web.wire import parse_body, reply

bp = Blueprint("seed", __name__)
SEED_TEXT = ReplyDoc(
    "The seed as a plain-text integer.",
    media_type="text/plain",
    schema={"type": "string", "pattern": "^-?[0-9]+$", "examples": ["100"]},
)


@bp.get("/")
@documented("Read the seed", replies={200: SEED_TEXT}, database=False)
def get_seed() -> Response:
    """The seed as a plain-text integer, e.g. `100` (default `0`)."""
    return Response(str(current_seed().get()), mimetype="text/plain")


@bp.post("/")
@documented("Set the seed", body=SeedUpdate, replies={200: SeedReply}, database=False)
def set_seed() -> tuple[Response, int]:
    """Set this instance's seed from JSON `{"num": <integer>}`."""
    value = parse_body(SeedUpdate).num
    current_seed().set(value)
    return reply(SeedReply(message="Seed updated.", num=value))

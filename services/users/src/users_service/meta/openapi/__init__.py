"""The OpenAPI document, generated from the views' declarations and the pydantic models.

Views declare themselves with `documented(...)`; `openapi_document(app)` walks the url map.
"""

from users_service.meta.openapi.builder import build_document, openapi_document
from users_service.meta.openapi.operation import BodyDoc, ReplyDoc, documented, form, undocumented
from users_service.meta.openapi.routes import undocumented_rules

__all__ = [
    "BodyDoc",
    "ReplyDoc",
    "build_document",
    "documented",
    "form",
    "openapi_document",
    "undocumented",
    "undocumented_rules",
]

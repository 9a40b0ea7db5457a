"""What a view declares about itself: the `documented` decorator and the metadata it stores."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

View = TypeVar("View", bound=Callable[..., Any])
DOC_ATTRIBUTE = "openapi_doc"
JSON = "application/json"


@dataclass(frozen=True)
class ReplyDoc:
    """One documented reply: a pydantic model (or a raw schema for non-JSON bodies), the
    literal messages it may carry, and the names of the headers it always has."""

    description: str
    model: type[BaseModel] | None = None
    media_type: str = JSON
    schema: Mapping[str, Any] | None = None
    messages: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class BodyDoc:
    """A request body: the model that validates it, sent as `media_type`."""

    model: type[BaseModel]
    media_type: str = JSON


def form(model: type[BaseModel]) -> BodyDoc:
    """A `multipart/form-data` body (a `bytes` field becomes a file input)."""
    return BodyDoc(model, "multipart/form-data")


@dataclass(frozen=True)
class OperationDoc:
    summary: str
    replies: Mapping[int, ReplyDoc]
    body: BodyDoc | None = None
    query: type[BaseModel] | None = None
    path: Mapping[str, str] = field(default_factory=dict)
    database: bool = True
    operation_id: str | None = None


def documented(
    summary: str,
    *,
    replies: Mapping[int, ReplyDoc | type[BaseModel]],
    body: BodyDoc | type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    path: Mapping[str, str] | None = None,
    database: bool = True,
    operation_id: str | None = None,
) -> Callable[[View], View]:
    """Describe a view for /openapi.json; the view's docstring becomes the description.

    `replies` lists what the view itself answers. The builder adds what follows from the
    rest: 400 and 413 for a `body`, 400 for a `query`, 401 and 403 for a guarded view,
    503 when it uses the `database`, and 500 everywhere.
    """
    doc = OperationDoc(
        summary=summary,
        replies={code: _reply(spec) for code, spec in replies.items()},
        body=BodyDoc(body) if isinstance(body, type) else body,
        query=query,
        path=dict(path or {}),
        database=database,
        operation_id=operation_id,
    )

    def decorate(view: View) -> View:
        setattr(view, DOC_ATTRIBUTE, doc)
        return view

    return decorate


def undocumented(view: View) -> View:
    """Leave a route out of the document on purpose (the docs page's own static assets)."""
    setattr(view, DOC_ATTRIBUTE, None)
    return view


def doc_of(view: Callable[..., Any]) -> OperationDoc | None:
    doc: OperationDoc | None = getattr(view, DOC_ATTRIBUTE, None)
    return doc


def is_hidden(view: Callable[..., Any]) -> bool:
    return hasattr(view, DOC_ATTRIBUTE) and doc_of(view) is None


def _reply(spec: ReplyDoc | type[BaseModel]) -> ReplyDoc:
    if isinstance(spec, ReplyDoc):
        return spec
    return ReplyDoc(description=_first_line(spec.__doc__) or spec.__name__, model=spec)


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""

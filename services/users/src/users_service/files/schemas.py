"""The files' wire format: the upload form, and a stored file as replies show it."""

from typing import Literal

from pydantic import BaseModel, Field

from users_service.web.wire import HttpDate, Message, Page, Reply


class FileUpload(BaseModel):
    """POST /files: a multipart/form-data body with one part (read by uploads.receive)."""

    file: bytes = Field(min_length=1, description="The file; at most UPLOAD_MAX_BYTES.")


class FileUploader(Reply):
    """Who uploaded a file."""

    id: int
    username: str


class FilePublic(Reply):
    """A stored file's metadata."""

    id: int
    name: str = Field(description="The uploaded file name, made safe for display.")
    size: int = Field(description="In bytes.")
    content_type: str
    uploader: FileUploader
    created_at: HttpDate


class FileReply(Message):
    """A stored file."""

    data: FilePublic


class FilesPage(Page):
    """Some files."""

    files: list[FilePublic]


class FilesPageReply(Reply):
    """A page of files, newest first."""

    status: Literal["success"] = "success"
    data: FilesPage

"""Content in S3 (or an S3-compatible server), metadata in the database.

An object is written under a fresh random key before its row is committed, with one PUT
that streams the spooled upload (botocore reads it in pieces; one PUT, so an object is
there whole or not at all): if the PUT fails, no row is written; if the row is refused
(quota) or the commit fails, the object is deleted again, unless the row
is there after all (a commit can fail after the database applied it). A process killed
between the PUT and the commit leaves an object that no row names; `users-service
orphan-files` lists such objects and deletes them with --delete.
"""

import logging
import secrets
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from users_service.config import Settings
from users_service.files.storage import StorageUnavailableError
from users_service.files.storage.quota import Admit
from users_service.models import StoredFile

log = logging.getLogger(__name__)
CHUNK_BYTES = 64 * 1024
MISSING_CODES = frozenset({"NoSuchKey", "404"})
# Bounded like the database connection: an S3 outage becomes a prompt 503, not a hung worker.
CLIENT_CONFIG = Config(
    connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"}
)
S3_ERRORS = (BotoCoreError, ClientError)
LOOKUP_BATCH = 500


class S3Storage:
    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> "S3Storage":
        if not settings.s3_bucket:
            raise ValueError("S3 storage needs S3_BUCKET")  # Settings refuses this already
        # A session of its own, so region and credentials come from boto3's standard chain
        # (AWS_* variables, the ECS task role) at the time this application is built.
        client = boto3.session.Session().client(
            "s3", endpoint_url=settings.s3_endpoint_url, config=CLIENT_CONFIG
        )
        return cls(client, settings.s3_bucket, settings.s3_prefix)

    def store(self, session: Session, record: StoredFile, content: IO[bytes], admit: Admit) -> None:
        key = record.storage_key = f"{self.prefix}{secrets.token_hex(16)}"
        self._put(key, record, content)
        try:
            session.add(record)
            session.flush()
            admit(session, record)  # refused: the object goes again, below
            session.commit()
        except Exception:
            session.rollback()
            if self._row_exists(session, key):
                log.warning("commit of %s reported an error, but the row is there", key)
                return
            self._delete_quietly(key)
            raise

    def open(self, session: Session, record: StoredFile) -> "ObjectStream | None":
        if record.storage_key is None:
            return None
        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=record.storage_key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING_CODES:
                log.error("file %s: object %s is missing", record.id, record.storage_key)
                return None
            raise StorageUnavailableError(f"get {record.storage_key}: {error}") from error
        except BotoCoreError as error:
            raise StorageUnavailableError(f"get {record.storage_key}: {error}") from error
        return ObjectStream(reply["Body"])

    def orphans(self, session: Session, older_than: datetime) -> list[str]:
        keys = [key for key, written in self._objects() if written < older_than]
        named: set[str | None] = set()
        for start in range(0, len(keys), LOOKUP_BATCH):
            batch = keys[start : start + LOOKUP_BATCH]
            named.update(
                session.scalars(
                    select(StoredFile.storage_key).where(StoredFile.storage_key.in_(batch))
                )
            )
        return [key for key in keys if key not in named]

    def discard(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=key)

    def _put(self, key: str, record: StoredFile, content: IO[bytes]) -> None:
        try:
            self._call(
                "put",
                self.client.put_object,
                Bucket=self.bucket,
                Key=key,
                Body=content,
                ContentLength=record.size,
                ContentType=record.content_type,
            )
        except StorageUnavailableError:
            # The PUT may have landed with its reply lost: no row will name the key.
            self._delete_quietly(key)
            raise

    def _row_exists(self, session: Session, key: str) -> bool:
        """Whether the row was committed; if this cannot be known, the error propagates and
        the object stays (an orphan is harmless, a row without content is not)."""
        found = session.scalar(select(StoredFile.id).where(StoredFile.storage_key == key))
        session.rollback()
        return found is not None

    def _delete_quietly(self, key: str) -> None:
        try:
            self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=key)
        except StorageUnavailableError:
            log.error("could not delete object %s: an orphan until orphan-files removes it", key)

    def _objects(self) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"], item["LastModified"]
        except S3_ERRORS as error:
            raise StorageUnavailableError(f"list {self.prefix}: {error}") from error

    @staticmethod
    def _call(action: str, method: Any, **arguments: Any) -> Any:
        try:
            return method(**arguments)
        except S3_ERRORS as error:
            raise StorageUnavailableError(f"{action} {arguments.get('Key')}: {error}") from error


class ObjectStream:
    """An object's body in chunks; werkzeug calls close() when the response is done, so the
    connection goes back to the pool even when nothing was read (HEAD, client gone)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        chunks: Iterator[bytes] = self._body.iter_chunks(CHUNK_BYTES)
        return chunks

    def close(self) -> None:
        self._body.close()

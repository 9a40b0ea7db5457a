"""The limit for a database endpoint: a minimal Flask app answering GET /users/<id> with one
raw psycopg2 primary-key SELECT on the users table, on a pooled autocommit connection, under
the same gunicorn configuration as the service. One round trip to PostgreSQL and a small
JSON body per request, nothing else: no endpoint of the service that reads the database can
be faster on the same machine, so the database endpoints are reported as fractions of this.

gunicorn imports this module in each worker after gevent's monkey patching and the
service's post_fork hook (which makes psycopg2 wait through gevent), so the queue below
waits as greenlets do.
"""

import json
import os
import queue
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from flask import Flask, Response
from psycopg2.extensions import connection
from werkzeug.http import http_date

from bench.hello_wsgi import BODY
from users_service.config import load_settings

QUERY = "SELECT id, username, email, created_at FROM users WHERE id = %s"
NOT_FOUND = b'{"message":"User does not exist","status":"fail"}\n'


class Pool:
    """At most `size` connections, opened when first needed; a request waits for a free one
    (queue.Queue hands them out in the order the requests asked)."""

    def __init__(self, dsn: str, size: int) -> None:
        self._dsn = dsn
        self._slots: queue.Queue[connection | None] = queue.Queue()
        for _ in range(size):
            self._slots.put(None)  # a slot whose connection is not open yet

    @contextmanager
    def connection(self) -> Iterator[connection]:
        conn = self._slots.get()
        try:
            if conn is None:
                conn = psycopg2.connect(self._dsn)
                conn.autocommit = True  # a read needs no BEGIN and no ROLLBACK
            yield conn
        except psycopg2.Error:
            if conn is not None:
                conn.close()  # perhaps broken: the slot opens a new one next time
            conn = None
            raise
        finally:
            self._slots.put(conn)


def _dsn() -> str:
    """libpq reads the service's DATABASE_URL, less SQLAlchemy's driver suffix."""
    return os.environ["DATABASE_URL"].replace("+psycopg2://", "://", 1)


# Sized like each of the service's workers' pool (DB_POOL_SIZE, BENCH_ENV included).
pool = Pool(_dsn(), load_settings().db_pool_size)
app = Flask(__name__)


@app.get("/ping")
def ping() -> Response:  # the bench waits for /ping before it measures
    return Response(BODY, mimetype="application/json")


@app.get("/users/<int:user_id>")
def get_user(user_id: int) -> Response:
    with pool.connection() as conn, conn.cursor() as cursor:
        cursor.execute(QUERY, (user_id,))
        row = cursor.fetchone()
    if row is None:
        return Response(NOT_FOUND, status=404, mimetype="application/json")
    user = {"id": row[0], "username": row[1], "email": row[2], "created_at": http_date(row[3])}
    body = json.dumps({"data": user, "status": "success"}, separators=(",", ":"))
    return Response(body, mimetype="application/json")

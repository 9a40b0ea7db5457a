"""The service plus one route, `POST /test-mail`, that queues a mail whose job takes
TEST_MAIL_JOB_SECONDS: for the serving tests of the outbox, until a route of the service
sends mail."""

import os
import time

from users_service.app import create_app
from users_service.mail import Message, current_outbox

app = create_app()
JOB_SECONDS = float(os.environ.get("TEST_MAIL_JOB_SECONDS", "0"))
MESSAGE = Message(to="ada@example.org", subject="queued", text="text", html="<p>html</p>")


def _compose() -> Message:
    time.sleep(JOB_SECONDS)  # a greenlet's sleep under gevent: the worker serves meanwhile
    return MESSAGE


@app.post("/test-mail")
def queue_mail() -> dict[str, bool]:
    return {"queued": current_outbox().submit(_compose)}

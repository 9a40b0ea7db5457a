"""Each worker process's outbox: requests queue mail and return; a background thread sends it.

Under gunicorn's gevent workers `threading` is patched, so the sender is a greenlet and its
sockets (smtplib's, boto3's) wait cooperatively. The thread starts on the first submit, so
it lives in the process that queues (a worker, never gunicorn's master before the fork).

Delivery is best effort: the queue is memory only, so mail still queued when the process
is killed is lost (a clean exit drains it for a few seconds: gunicorn_conf.worker_exit). The
flows that send mail answer the same whatever happens to it, and a user can ask again.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from flask import Flask

from users_service.mail.backends import Backend, PermanentRefusalError
from users_service.mail.message import Message

log = logging.getLogger(__name__)
# Composes the mail in the app's context (it may query the database); None: nothing to send.
Job = Callable[[], Message | None]
BACKOFF_SECONDS = 1.0


class Outbox:
    def __init__(
        self,
        app: Flask,
        backend: Backend,
        *,
        limit: int,
        attempts: int,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app, self.backend = app, backend
        self.limit, self.attempts, self.sleep = limit, attempts, sleep
        self._jobs: deque[Job] = deque()
        self._unfinished = 0  # queued or running: what `limit` bounds and `drain` waits for
        self._changed = threading.Condition()
        self._sender: threading.Thread | None = None

    def submit(self, job: Job) -> bool:
        """Queue `job` and return at once; False, and nothing queued, when the outbox is full."""
        with self._changed:
            if self._unfinished >= self.limit:
                log.warning("mail outbox full (%d): a mail was refused", self.limit)
                return False
            self._jobs.append(job)
            self._unfinished += 1
            self._start_sender()
            self._changed.notify_all()
        return True

    def drain(self, timeout: float) -> bool:
        """Wait until every job submitted so far is done; False if `timeout` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._unfinished == 0, timeout)

    def _start_sender(self) -> None:
        # Also after a fork: the child has no thread of its parent's, and is_alive() says so.
        if self._sender is None or not self._sender.is_alive():
            self._sender = threading.Thread(target=self._run, name="mail-outbox", daemon=True)
            self._sender.start()

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._jobs))
                job = self._jobs.popleft()
            try:
                self._handle(job)
            except Exception as error:  # the sender must outlive any one job
                log.error("mail job failed outside its code: %s", type(error).__name__)
            finally:
                with self._changed:
                    self._unfinished -= 1
                    self._changed.notify_all()

    def _handle(self, job: Job) -> None:
        # The job runs in the app context; the sending does not, so that no database
        # connection is held while a mail server takes its time.
        with self.app.app_context():
            try:
                message = job()
            except Exception as error:
                # The type only: the error's text may quote what the mail would carry.
                log.error("mail job raised %s: dropped", type(error).__name__)
                return
        if message is not None:
            self._deliver(message)

    def _deliver(self, message: Message) -> None:
        """Send, retrying with a growing pause; the logs never carry the message itself."""
        name = self.backend.name
        for attempt in range(1, self.attempts + 1):
            try:
                self.backend.send(message)
                return
            except PermanentRefusalError as refusal:
                log.error("mail via %s refused for good, not retried: %s", name, refusal)
                return
            except Exception as error:  # smtplib's, OSError, botocore's: all worth a retry
                log.warning(
                    "mail via %s failed (attempt %d of %d): %s: %s",
                    name,
                    attempt,
                    self.attempts,
                    type(error).__name__,
                    error,
                )
            if attempt < self.attempts:
                self.sleep(BACKOFF_SECONDS * attempt)
        log.error("mail via %s given up after %d attempts", name, self.attempts)

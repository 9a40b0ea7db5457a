"""The seed value of seed 004: per instance by design, shared by its worker processes.

gunicorn's master creates one file before forking (see gunicorn_conf) and every worker
reads and replaces it atomically, so all workers of one instance agree on the value.
"""

import atexit
import os
import tempfile
from pathlib import Path

from flask import Flask, current_app

from users_service.config import Settings

DEFAULT_SEED = 0
EXTENSION_KEY = "users_service.seed"


class SeedStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def private(cls) -> "SeedStore":
        """A store for a single process (tests, `flask run`), removed at exit."""
        fd, name = tempfile.mkstemp(prefix="users-seed-")
        os.close(fd)
        atexit.register(_remove_quietly, Path(name))
        return cls(Path(name))

    def get(self) -> int:
        try:
            return int(self.path.read_text())
        except (OSError, ValueError):
            return DEFAULT_SEED

    def set(self, value: int) -> None:
        fd, tmp_name = tempfile.mkstemp(dir=self.path.parent, prefix=".seed-")
        with os.fdopen(fd, "w") as handle:
            handle.write(str(value))
        os.replace(tmp_name, self.path)


def _remove_quietly(path: Path) -> None:
    path.unlink(missing_ok=True)


def init_app(app: Flask, settings: Settings) -> None:
    """The instance's seed file (gunicorn_conf creates it), or a private one per app."""
    store = SeedStore(settings.seed_file) if settings.seed_file else SeedStore.private()
    app.extensions[EXTENSION_KEY] = store


def current_seed() -> SeedStore:
    store: SeedStore = current_app.extensions[EXTENSION_KEY]
    return store

"""What an application instance holds besides configuration: built once in create_app."""

from dataclasses import dataclass

from flask import current_app

from users_service.config import Settings
from users_service.security.passwords import PasswordHasher
from users_service.seed_store import SeedStore
from users_service.storage import Storage

EXTENSION_KEY = "users_service.runtime"


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    signing_key: str
    hasher: PasswordHasher
    instance_id: str
    seed: SeedStore
    storage: Storage

    def password_policy(self) -> dict[str, int]:
        return {
            "min_length": self.settings.password_min_length,
            "max_length": self.settings.password_max_length,
        }


def runtime() -> Runtime:
    value: Runtime = current_app.extensions[EXTENSION_KEY]
    return value

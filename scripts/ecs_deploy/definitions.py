"""What a deploy registers and applies, rendered from the repository's two templates.

ecs_taskdefinition.json is the one task definition; the migration's is derived from it here
(same image and settings), differing only where a one-off migration must: its own family, the
owner's DATABASE_URL instead of the application role's, which it also receives as
APP_DATABASE_URL to create and grant that role, and no /ping health check (it serves nothing).
"""

import copy
from dataclasses import dataclass
from typing import Any

from ecs_deploy.config import Config
from ecs_deploy.render import container, render_file, render_task_definition

CONTAINER = "users"


@dataclass(frozen=True)
class Definitions:
    task: dict[str, Any]
    migration: dict[str, Any]
    service: dict[str, Any]


def load(config: Config, values: dict[str, str]) -> Definitions:
    task = render_task_definition(config.template, values)
    service = render_file(config.service_template, values)
    return Definitions(task, migration_of(task, values), service)


def migration_of(task: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    container(task, CONTAINER)  # fails clearly if the template lost its container
    migration = copy.deepcopy(task)
    migration["family"] = f"{task['family']}-migrate"
    users = next(c for c in migration["containerDefinitions"] if c["name"] == CONTAINER)
    users.pop("healthCheck", None)
    kept = [s for s in users.get("secrets", []) if s["name"] != "DATABASE_URL"]
    users["secrets"] = [
        {"name": "DATABASE_URL", "valueFrom": values["MigrationDatabaseUrlSecretArn"]},
        {"name": "APP_DATABASE_URL", "valueFrom": values["DatabaseUrlSecretArn"]},
        *kept,
    ]
    return migration

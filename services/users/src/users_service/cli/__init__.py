"""Operator commands: `users-service db upgrade`, `create-admin`, `deactivate`, ...

create_app registers them on every app (so `app.test_cli_runner()` runs them too); the
`users-service` command (`cli.main`) builds the app with the same settings as the server.
"""

from flask import Flask

from users_service.cli import accounts, db, maintenance

COMMANDS = (
    db.db_group,
    accounts.create_admin_command,
    accounts.activate_command,
    accounts.deactivate_command,
    accounts.promote_command,
    accounts.demote_command,
    maintenance.prune_expired_command,
    maintenance.import_reference_command,
    maintenance.orphan_files_command,
)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)

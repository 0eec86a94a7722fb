"""The ``attendance`` command: Flask's CLI (with ``db`` from Flask-Migrate) plus our own,
one module per area (``setup``, ``months``, ``billing``, ``documents``…)."""

import functools

import click
from flask.cli import with_appcontext

from attendance.cli import (
    billing,
    documents,
    jobs,
    months,
    notify,
    operations,
    organisations,
    privacy,
    setup,
    signing,
)
from attendance.extensions import db
from attendance.sql import queue_writes

# Commands that only read (or run the server, or replace the whole database): their long
# transactions stay out of the SQLite writer queue, where they would hold up sign-ins.
# ``jobs run`` reads for minutes; its writes take the queue one short transaction at a time.
READERS = {"serve", "documents", "audit", "keys list", "backup", "restore", "jobs run"}


def _queue_writes(command: click.Command, name: str) -> None:
    """Every other command's transactions are write ones on SQLite (``attendance.sql``):
    two operators (or an operator and the server) writing at once queue, none fails."""
    if name in READERS:
        return
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            _queue_writes(sub, f"{name} {sub_name}")
        return
    callback = command.callback
    if getattr(callback, "queues_writes", False):
        return  # already wrapped by an earlier app (the commands are module objects)

    @with_appcontext
    @functools.wraps(callback)
    def queued(*args, **kwargs):
        queue_writes(db.session)
        try:
            return callback(*args, **kwargs)
        finally:
            queue_writes(db.session, False)

    queued.queues_writes = True
    command.callback = queued


def register_commands(app) -> None:
    for command in (
        *setup.COMMANDS,
        *organisations.COMMANDS,
        months.month_group,
        documents.documents_command,
        billing.invoice_command,
        *signing.COMMANDS,
        *notify.COMMANDS,
        *privacy.COMMANDS,
        *operations.COMMANDS,
        *jobs.COMMANDS,
    ):
        _queue_writes(command, command.name)
        app.cli.add_command(command)

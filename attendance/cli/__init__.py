"""The ``attendance`` command: Flask's CLI (with ``db`` from Flask-Migrate) plus our own,
one module per area (``setup``, ``months``, ``billing``, ``documents``…)."""

from attendance.cli import billing, documents, months, notify, operations, privacy, setup, signing


def register_commands(app) -> None:
    for command in (
        *setup.COMMANDS,
        months.month_group,
        documents.documents_command,
        billing.invoice_command,
        *signing.COMMANDS,
        *notify.COMMANDS,
        *privacy.COMMANDS,
        *operations.COMMANDS,
    ):
        app.cli.add_command(command)

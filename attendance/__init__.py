"""Electronic attendance and invoicing for training organisations: the app factory."""

from pathlib import Path

from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import event
from sqlalchemy.engine import Engine

from attendance.config import PROJECT_ROOT, Config
from attendance.extensions import api as rest_api
from attendance.extensions import db, migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """Many phones signing at once need WAL and a busy timeout; SQLite needs FKs switched on."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Let SQLAlchemy, not the driver, open transactions, so SAVEPOINT and rollback are real.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def commit_the_request(response):
    """Who commits: the edge, once, at the end of a request that succeeded (the Indico
    base-handler rule). Domain functions only flush; a refused request (4xx/5xx) leaves
    nothing behind, since its error handler rolled back and nothing is committed here. The
    few writes that must land mid-request (a sign-in inside the SQLite writer queue, a
    rate-limit counter, an invoice number) commit where they happen and say why."""
    if response.status_code < 400:
        db.session.commit()
    return response


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_object(Config(app.instance_path, test_config))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    rest_api.init_app(app)

    from attendance import models  # noqa: F401  (registers every table)
    from attendance.api import register_api
    from attendance.errors import register_error_handlers
    from attendance.web import register_pages

    register_error_handlers(app)
    register_api(rest_api)
    from attendance.api import BLUEPRINTS
    from attendance.security import init_security

    init_security(app, BLUEPRINTS)
    register_pages(app)
    app.after_request(commit_the_request)

    from attendance.cli import register_commands

    register_commands(app)
    return app


# The ``attendance`` console command: Flask's CLI on this app, with our commands.
main = FlaskGroup(
    create_app=create_app, add_version_option=False, help="Émargement électronique et facturation."
)

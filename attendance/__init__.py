"""Electronic attendance and invoicing for training organisations: the app factory."""

import logging
from pathlib import Path

from flask import Flask, g, request
from flask.cli import FlaskGroup
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from attendance.config import PROJECT_ROOT, Config
from attendance.errors import DomainError, database_unreachable
from attendance.extensions import api as rest_api
from attendance.extensions import db, migrate
from attendance.sql import QUEUES_ITS_WRITES, begin_statement, queue_writes

log = logging.getLogger(__name__)
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
        connection.exec_driver_sql(begin_statement())  # IMMEDIATE inside the writer gate


_READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def queue_the_request_writes(app: Flask) -> None:
    """On SQLite a request that may write (any method but GET, HEAD, OPTIONS) makes write
    transactions from its first read (``attendance.sql``), so two staff members saving at
    once queue instead of one getting a 503. Views whose writes queue themselves
    (``queues_its_writes``: the sign-ins) are left to do so, so a room signs in parallel up
    to its writes."""

    @app.before_request
    def _queue_writes():
        if request.method in _READING_METHODS:
            return
        view = app.view_functions.get(request.endpoint)
        if view is not None and not getattr(view, QUEUES_ITS_WRITES, False):
            queue_writes(db.session)
            g.writes_queued = True

    @app.teardown_request
    def _stop_queueing(error=None):
        if g.pop("writes_queued", False):
            queue_writes(db.session, False)


def commit_the_request(response):
    """Who commits: the edge, once, at the end of a request that succeeded (the Indico
    base-handler rule). Domain functions only flush; a refused request (4xx/5xx) leaves
    nothing behind, since its error handler rolled back and nothing is committed here. The
    few writes that must land mid-request (a sign-in inside the SQLite writer queue, a
    rate-limit counter, an invoice number) commit where they happen and say why. A request
    whose work is already committed (a sign-in) has no transaction left to end: committing
    nothing still cost 0.07 ms of a 2.2 ms sign-in."""
    if response.status_code < 400 and db.session().in_transaction():
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
    queue_the_request_writes(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    rest_api.init_app(app)

    from attendance import models  # noqa: F401  (registers every table)
    from attendance.api import register_api
    from attendance.api.common import refuse_malformed_json
    from attendance.web import register_pages

    register_error_handlers(app)
    app.before_request(refuse_malformed_json)
    register_api(rest_api)
    from attendance.api.docs import bp as swagger_ui

    app.register_blueprint(swagger_ui)
    from attendance.api import BLUEPRINTS
    from attendance.security import init_security

    init_security(app, BLUEPRINTS)
    register_pages(app)
    app.after_request(commit_the_request)

    from attendance.cli import register_commands

    register_commands(app)
    return app


def _safe_rollback() -> None:
    """Roll back the request's transaction; when the connection is already dead the rollback
    itself fails, and the pool discards it and every connection opened before it."""
    try:
        db.session.rollback()
    except DBAPIError:
        db.session.close()


def _wants_json() -> bool:
    return request.path.startswith("/api") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    """Every failed request is answered in one place: its transaction rolled back, then JSON
    for the API and JSON-asking clients, a French page with a way back for everyone else. A
    database error that is not the database being away is a bug: re-raised, it becomes a 500."""
    from attendance.api.errors import error_response
    from attendance.security import csrf_refusal
    from attendance.web.errors import error_page

    def answer(error):
        _safe_rollback()
        if isinstance(error, CSRFError):
            error = csrf_refusal(error)
        database_bug = isinstance(error, DBAPIError) and not isinstance(error, DataError)
        if database_unreachable(error):
            log.warning("database unavailable: %s", error.__class__.__name__)
        elif database_bug:
            raise error
        return error_response(error) if _wants_json() else error_page(error)

    for kind in (DomainError, HTTPException, OverflowError, DBAPIError, PoolTimeout, 500):
        app.register_error_handler(kind, answer)


# The ``attendance`` console command: Flask's CLI on this app, with our commands.
main = FlaskGroup(
    create_app=create_app, add_version_option=False, help="Émargement électronique et facturation."
)

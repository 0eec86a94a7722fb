"""Test fixtures: every database test runs on SQLite and on PostgreSQL.

``TEST_DATABASE_URL`` picks one database (``sqlite`` or a PostgreSQL URL); by default both
run, PostgreSQL at ``TEST_POSTGRES_URL`` (127.0.0.1:5432, database ``test``), where each
test session creates and drops a database of its own. The schema comes from the Alembic
migrations, so the migrations are what is tested.
"""

import os
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

from attendance import create_app
from attendance.config import database_url as normalise_url
from attendance.extensions import db

pytest_plugins = ["tests.browser_fixtures", "tests.mail_fixtures"]

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
KEPT_TABLES = {"dispositif", "alembic_version"}


def _backends() -> list[str]:
    chosen = os.environ.get("TEST_DATABASE_URL")
    if chosen:
        return [chosen]
    return ["sqlite", POSTGRES_ADMIN_URL]


def _backend_id(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="session", params=_backends(), ids=_backend_id)
def database_url(request, tmp_path_factory):
    url = request.param
    if url == "sqlite":
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")
        return
    if url.startswith("sqlite"):
        yield url
        return
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    name = f"attendance_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the message says how to run without PostgreSQL
        pytest.exit(
            f"PostgreSQL is not reachable at {url} ({exc.__class__.__name__}). Start it "
            "(.ci/run does) or run only SQLite with TEST_DATABASE_URL=sqlite.",
            returncode=3,
        )
    test_url = normalise_url(url).rsplit("/", 1)[0] + "/" + name
    yield test_url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_url(database_url, tmp_path_factory):
    app = create_app(_test_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return database_url


def _test_config(url: str, instance) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key-with-more-than-256-bits-of-entropy-0123456789",
        "INSTANCE_PATH": str(instance),
    }


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEPT_TABLES]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())
        connection.execute(text("DELETE FROM dispositif WHERE code <> 'COMPETENCES_PLUS'"))


@pytest.fixture
def app(migrated_url, tmp_path):
    app = create_app(_test_config(migrated_url, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def session(app):
    return db.session

"""``attendance backup`` then ``attendance restore`` into a fresh database: every sign-in
comes back, signature included; a file of the wrong kind is refused."""

import uuid

import pytest
from sqlalchemy import create_engine, select, text

from attendance import create_app
from attendance.config import database_url as normalise_url
from attendance.extensions import db
from attendance.models import Emargement
from tests.conftest import POSTGRES_ADMIN_URL
from tests.factories import gen_emargement, make_room, signature_png


@pytest.fixture
def fresh_database(app, tmp_path):
    """An empty database of the same kind as the test database."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        yield "sqlite:///" + str(tmp_path / "restored.sqlite")
        return
    admin = create_engine(normalise_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"attendance_restore_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _signins(session) -> list[tuple]:
    return [
        (e.id, e.slot_id, e.trainee_id, e.status, e.signature_png)
        for e in session.scalars(select(Emargement).order_by(Emargement.id))
    ]


def test_a_backup_restored_into_a_fresh_database_has_every_signin(
    app, runner, fresh_database, tmp_path
):
    room = make_room(n_trainees=4)
    for trainee in room.trainees[:3]:
        gen_emargement(room.slot, trainee, signature_png=signature_png())
    gen_emargement(room.slot, room.trainees[3], status="absent")
    db.session.commit()
    expected = _signins(db.session)
    assert len(expected) == 4
    schema_version = db.session.scalar(text("SELECT version_num FROM alembic_version"))

    dump = tmp_path / "backup.bin"
    result = runner.invoke(args=["backup", str(dump)])
    assert result.exit_code == 0, result.output
    assert "Sauvegarde écrite" in result.output

    restored = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": fresh_database,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "INSTANCE_PATH": str(tmp_path / "instance"),
        }
    )
    with restored.app_context():
        outcome = restored.test_cli_runner().invoke(args=["restore", "--yes", str(dump)])
        assert outcome.exit_code == 0, outcome.output
        assert _signins(db.session) == expected
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        db.session.remove()
        db.engine.dispose()
    assert version == schema_version


def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(app, runner, tmp_path):
    room = make_room(n_trainees=1)
    gen_emargement(room.slot, room.trainee)
    db.session.commit()
    bogus = tmp_path / "notes.dump"
    bogus.write_bytes(b"%PDF-1.7 not a database backup")
    result = runner.invoke(args=["restore", "--yes", str(bogus)])
    assert result.exit_code == 1
    assert "BACKUP_WRONG_KIND" in result.output
    assert len(_signins(db.session)) == 1

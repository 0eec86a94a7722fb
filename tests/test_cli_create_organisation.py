"""``attendance create-organisation``: a new tenant and its first administrator."""

import re

from sqlalchemy import func, select

from attendance.extensions import db
from attendance.models import Organisation, User
from tests.factories import csrf_form, gen_org


def _cli(runner, *args, env=None):
    return runner.invoke(args=["create-organisation", *args], env=env, catch_exceptions=False)


ARGS = ("--name", "Formations du Sud", "--siret", "732 829 320 00074",
        "--admin-email", "Direction@Sud.example", "--admin-name", "Anne Sud")  # fmt: skip


def test_the_organisation_is_created_with_an_activation_link_for_its_admin(runner, app):
    result = _cli(runner, *ARGS, "--url", "https://emargement.sud.example")
    assert result.exit_code == 0, result.output
    org = db.session.scalar(select(Organisation).where(Organisation.siret == "73282932000074"))
    admin = db.session.scalar(select(User).where(User.organisation_id == org.id))
    assert (org.name, admin.email, admin.role) == (
        "Formations du Sud",
        "direction@sud.example",
        "admin",
    )
    link = re.search(r"https://emargement\.sud\.example(/compte/activer/\S+)", result.output)
    assert link, result.output

    client = app.test_client()
    form = {"new_password": "mot de passe du sud", "new_password_again": "mot de passe du sud"}
    assert client.post(link.group(1), data=csrf_form(client, form)).status_code == 302
    login = {"email": "direction@sud.example", "password": "mot de passe du sud"}
    assert client.post("/login", data=csrf_form(client, login)).status_code == 302


def test_the_password_can_come_from_the_environment_instead_of_a_link(runner, app):
    result = _cli(
        runner, *ARGS, "--set-password", env={"ATTENDANCE_ADMIN_PASSWORD": "mot de passe du sud"}
    )
    assert result.exit_code == 0, result.output
    assert "/compte/activer/" not in result.output
    client = app.test_client()
    login = {"email": "direction@sud.example", "password": "mot de passe du sud"}
    assert client.post("/login", data=csrf_form(client, login)).status_code == 302


def test_an_invalid_siret_is_refused_in_french_and_nothing_is_created(runner, app):
    result = runner.invoke(
        args=["create-organisation", *ARGS[:2], "--siret", "73282932000075", *ARGS[4:]]
    )
    assert result.exit_code == 1
    assert "SIRET invalide" in result.output
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 0


def test_an_admin_email_already_used_leaves_no_organisation_behind(runner, app):
    org = gen_org()
    db.session.commit()
    first = _cli(runner, *ARGS)
    assert first.exit_code == 0
    other = ("--name", "Autre", "--siret", "44306184100047", *ARGS[4:])
    second = runner.invoke(args=["create-organisation", *other])
    assert second.exit_code == 1 and "existe déjà" in second.output
    names = db.session.scalars(select(Organisation.name).order_by(Organisation.id)).all()
    assert names == [org.name, "Formations du Sud"]

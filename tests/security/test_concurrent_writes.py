"""Staff working at the same time: on SQLite every write queues behind the one before it
(threads of one server and the processes of gunicorn and the CLI alike) instead of failing
with « database is locked »; PostgreSQL serves them side by side."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

import attendance
from attendance.extensions import db
from attendance.models import Invitation, User
from tests.concurrency import burst, tally
from tests.factories import gen_org, gen_trainee, gen_user, token_for


def test_twenty_invitations_asked_at_once_are_all_created(app):
    org = gen_org()
    trainee_ids = [gen_trainee(org).id for _ in range(20)]
    headers = token_for(gen_user(org, "admin"))

    def invite(client, i):
        return client.post(f"/api/trainees/{trainee_ids[i]}/invitations", headers=headers)

    assert tally(burst(app, 20, invite)) == {(201, None): 20}
    db.session.rollback()  # end this thread's snapshot to see the others' commits
    invited = db.session.scalars(select(Invitation.trainee_id)).all()
    assert sorted(invited) == sorted(trainee_ids)


def _create_user_process(app, n: int) -> subprocess.Popen:
    """``attendance create-user`` in a process of its own, as an operator would run it."""
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(attendance.__file__).resolve().parent.parent),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
    }
    args = ["--email", f"staff{n}@example.org", "--name", f"Staff {n}", "--role", "trainer"]
    code = "from attendance import main; main()"
    command = [sys.executable, "-c", code, "create-user", *args, "--password", "x" * 12]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_create_user_run_at_once_in_four_processes_creates_every_account(app):
    gen_org()
    db.session.commit()
    processes = [_create_user_process(app, n) for n in range(4)]
    outputs = [(p.wait(timeout=120), p.stdout.read().decode()) for p in processes]
    assert [code for code, _ in outputs] == [0] * 4, outputs
    db.session.rollback()
    emails = db.session.scalars(select(User.email)).all()
    assert sorted(emails) == [f"staff{n}@example.org" for n in range(4)]

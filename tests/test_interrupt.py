"""Ctrl-C stops a test run at once and says so, even in the middle of a browser test.

The terminal sends SIGINT to the whole foreground process group: pytest, but also
Playwright's driver and Chromium, which die at once. Closing them again at teardown used to
raise « Target page, context or browser has been closed » from the session's last teardown,
so an interrupted run ended as a crash (exit 1, pages of tracebacks) instead of exit 2."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SMALL_RUN = """
import time

from attendance.extensions import db


def test_waits_in_the_browser(live_server, page):
    page.goto(live_server + "/login")
    print("WAITING", flush=True)
    page.wait_for_timeout(60_000)


def test_waits_in_the_database(app):
    db.session.execute(db.text("SELECT 1"))
    print("WAITING", flush=True)
    time.sleep(60)
"""


def _interrupt(tmp_path, test_name: str) -> tuple[int, float, str]:
    (tmp_path / "test_small_run.py").write_text(SMALL_RUN)
    env = {**os.environ, "TEST_DATABASE_URL": "sqlite"}
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    command += [
        "-s",
        "-q",
        "--rootdir",
        str(tmp_path),
        f"{tmp_path}/test_small_run.py::{test_name}",
    ]
    run = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    output = []
    try:
        for line in run.stdout:
            output.append(line)
            if "WAITING" in line:
                break
        else:
            pytest.fail("the small run never started:\n" + "".join(output))
        time.sleep(0.5)
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        sent = time.monotonic()
        rest, _ = run.communicate(timeout=20)
        return run.returncode, time.monotonic() - sent, "".join(output) + rest
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()


@pytest.mark.parametrize("test_name", ["test_waits_in_the_browser", "test_waits_in_the_database"])
def test_ctrl_c_stops_the_run_within_seconds_as_an_interruption(tmp_path, test_name):
    code, seconds, output = _interrupt(tmp_path, test_name)
    assert code == pytest.ExitCode.INTERRUPTED, output[-3000:]
    assert seconds < 5, f"stopped after {seconds:.1f} s"
    assert "KeyboardInterrupt" in output and "INTERNALERROR" not in output
    assert "Traceback" not in output, output[-3000:]

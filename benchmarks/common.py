"""What the gunicorn benchmarks share: starting a server, the CPU used by each kind of process
(read from /proc), percentiles.

The machine is shared, so a benchmark says how much CPU went to what: the web server (a
gunicorn master and its workers), the database server (PostgreSQL's processes serving the
benchmark's database, and its background writers), the benchmark's own clients, and
anything else running meanwhile, which a measurement must not silently absorb.
"""

import http.client
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def start_gunicorn(
    target: str, port: int, workers: int, threads: int, env: dict, deadline_s: float = 60
) -> subprocess.Popen:
    """``target`` (``module:factory()``) under gunicorn with gthread workers, returned once
    ``/healthz`` answers 200. A port already taken (another benchmark running) is refused
    at once: its server would answer ``/healthz`` and be measured instead."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            message = f"port {port} is in use (another server?): pick another --port"
            raise SystemExit(message) from None
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
            target,
        ],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=str(ROOT),
    )
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn did not start: {target}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=30)


def _processes() -> list[tuple[int, int, str, float]]:
    """(pid, parent pid, command name, CPU seconds used so far, user + system, all
    threads) of every process, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    text = stat.read()
            except OSError:
                continue
            name = text[text.index("(") + 1 : text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
            cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            found.append((int(entry), int(fields[1]), name, cpu))
    return found


def _command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _serves_another_database(pid: int, database: str | None) -> bool:
    """A PostgreSQL process doing someone else's work: every one when the benchmark has no
    PostgreSQL database (``database`` None), else a backend of a client connection
    (``postgres: user db host(port) …``) to another database. The postmaster and the
    background processes (WAL writer, checkpointer…) count as the benchmark's."""
    if database is None:
        return True
    command = _command_line(pid)
    client = "(" in command or "[local]" in command
    return client and f" {database} " not in command


def machine_cpu() -> float:
    """CPU seconds the whole machine has spent busy so far (user, nice, system, interrupts;
    not idle, I/O wait or steal), from /proc/stat."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = fields[:7]
    return (user + nice + system + irq + softirq) / CLOCK_TICKS


def cpu_snapshot(server: subprocess.Popen, database: str | None = None) -> dict[str, float]:
    """CPU seconds used so far by the app (gunicorn and its workers), the database server's
    processes (PostgreSQL's serving ``database`` and its background ones; none without
    ``database``: SQLite works inside the app), this process (the clients) and everything
    else (the machine's busy time minus those)."""
    processes = _processes()
    app = sum(cpu for pid, parent, _, cpu in processes if server.pid in (pid, parent))
    postgres = [(pid, cpu) for pid, _, name, cpu in processes if name.startswith("postgres")]
    ours = sum(cpu for pid, cpu in postgres if not _serves_another_database(pid, database))
    clients = sum(cpu for pid, _, _, cpu in processes if pid == os.getpid())
    total = machine_cpu()
    return {
        "app": app,
        "database": ours,
        "clients": clients,
        "other": total - app - ours - clients,
    }


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, by kind of process."""
    return {kind: (after[kind] - before[kind]) / requests * 1000 for kind in before}


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (1–99); the largest value when there are too few to cut."""
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 20 else max(values)


def p95(values: list[float]) -> float:
    return percentile(values, 95)

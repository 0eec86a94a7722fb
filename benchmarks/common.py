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


def _processes() -> list[tuple[int, int, str, float, int]]:
    """(pid, parent pid, command name, CPU seconds used so far, user + system, all
    threads, start time in ticks) of every process, from /proc."""
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
            found.append((int(entry), int(fields[1]), name, cpu, int(fields[19])))
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


def cpu_snapshot(server: subprocess.Popen, database: str | None = None) -> dict:
    """CPU seconds used so far by the app (gunicorn and its workers), the database server's
    processes (PostgreSQL's serving ``database`` and its background ones; none without
    ``database``: SQLite works inside the app), this process (the clients), the kernel's
    threads (the network stack's softirq work of the benchmark's own connections lands in
    ``ksoftirqd``), and, process by process, everything else.

    Everything else is summed from the processes themselves, not taken as the machine's busy
    time (/proc/stat) minus ours: that difference mixed two clocks (per-process precise run
    time and the machine's sampled ticks) and read ±0.8–1.9 ms per request in the open
    loops on an idle machine, both signs, voiding runs for nothing."""
    processes = _processes()
    app = sum(cpu for pid, parent, _, cpu, _ in processes if server.pid in (pid, parent))
    postgres = [(pid, cpu) for pid, _, name, cpu, _ in processes if name.startswith("postgres")]
    ours = {pid for pid, _ in postgres if not _serves_another_database(pid, database)}
    me = os.getpid()
    kernel = sum(cpu for pid, parent, _, cpu, _ in processes if 2 in (pid, parent))
    others = {
        (pid, started): (name, cpu)
        for pid, parent, name, cpu, started in processes
        if server.pid not in (pid, parent)
        and pid not in ours
        and pid != me
        and 2 not in (pid, parent)
    }
    return {
        "app": app,
        "database": sum(cpu for pid, cpu in postgres if pid in ours),
        "clients": sum(cpu for pid, _, _, cpu, _ in processes if pid == me),
        "kernel": kernel,
        "others": others,
    }


def cpu_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, by kind of process; ``other``: what processes that
    are neither ours nor the kernel's used meanwhile (one that started meanwhile counts
    whole, one that ended meanwhile is not seen); ``busiest``: the biggest of them."""
    per = {
        kind: (after[kind] - before[kind]) / requests * 1000
        for kind in ("app", "database", "clients", "kernel")
    }
    used = {
        f"{name}[{key[0]}]": cpu - before["others"].get(key, (name, 0.0))[1]
        for key, (name, cpu) in after["others"].items()
    }
    per["other"] = sum(used.values()) / requests * 1000
    busiest = max(used.items(), key=lambda item: item[1], default=("none", 0.0))
    per["busiest"] = f"{busiest[0]} {busiest[1] / requests * 1000:.2f} ms"
    return per


def percentile(values: list[float], q: int) -> float:
    """The q-th percentile (1–99); the largest value when there are too few to cut."""
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 20 else max(values)


def p95(values: list[float]) -> float:
    return percentile(values, 95)

"""Backups with the database's own tools: SQLite's online backup API (a consistent copy
while phones keep signing, WAL included) and PostgreSQL's ``pg_dump``/``pg_restore`` in the
custom format (compressed, restorable table by table).

A restore replaces the target database's content; it refuses a file of the wrong kind.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from attendance.errors import DomainError

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise DomainError(
            "TOOL_MISSING",
            f"« {name} » est introuvable : installez postgresql-client (même version majeure "
            "que le serveur).",
        )
    return found


def _pg_env_and_args(url: str) -> tuple[dict, list[str]]:
    """Connection settings through libpq's environment, so no password shows in ``ps``."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    args = []
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    args += ["--dbname", parsed.database or "postgres"]
    return env, args


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DomainError(
            "BACKUP_TOOL_FAILED",
            f"{Path(command[0]).name} a échoué : {result.stderr.strip()[:500]}",
        )


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise DomainError("BACKUP_UNSUPPORTED", "Une base SQLite en mémoire ne se sauvegarde pas.")
    return Path(database)


def backup(url: str, target: Path) -> Path:
    """Write a backup of the database at ``url`` to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        destination = sqlite3.connect(target)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
        return target
    if backend == "postgresql":
        env, args = _pg_env_and_args(url)
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(target), *args], env)
        return target
    raise DomainError("BACKUP_UNSUPPORTED", f"Base « {backend} » non prise en charge.")


def restore(url: str, source: Path) -> None:
    """Replace the content of the database at ``url`` with the backup ``source``."""
    source = Path(source)
    head = source.read_bytes()[:16]
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise DomainError("BACKUP_WRONG_KIND", "Ce fichier n'est pas une sauvegarde SQLite.")
        origin = sqlite3.connect(source)
        destination = sqlite3.connect(_sqlite_path(url))
        try:
            with destination:
                origin.backup(destination)
        finally:
            destination.close()
            origin.close()
        return
    if backend == "postgresql":
        if not head.startswith(PGDUMP_MAGIC):
            raise DomainError(
                "BACKUP_WRONG_KIND", "Ce fichier n'est pas une sauvegarde pg_dump (format custom)."
            )
        env, args = _pg_env_and_args(url)
        _run(
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                *args,
                str(source),
            ],
            env,
        )
        return
    raise DomainError("BACKUP_UNSUPPORTED", f"Base « {backend} » non prise en charge.")

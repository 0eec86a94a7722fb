"""The layer contract (pyproject.toml, ``[tool.importlinter]``) holds, and it has teeth: an
import from the domain up to a page, or a cycle between two areas, breaks it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("attendance", "billing", "reports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layer_and_acyclic_contracts_are_kept():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


@pytest.fixture
def copy(tmp_path):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def _add_import(root: Path, module: str, line: str) -> None:
    path = root / module
    path.write_text(path.read_text() + f"\n{line}\n")


def test_a_domain_module_importing_a_page_breaks_the_layers(copy):
    _add_import(copy, "attendance/hours/aggregate.py", "import attendance.web.months  # noqa")
    result = _lint(copy)
    assert result.returncode == 1
    assert "attendance.hours is not allowed to import attendance.web" in result.stdout


def test_an_import_inside_a_function_counts_too(copy):
    _add_import(
        copy,
        "attendance/months/lock.py",
        "def _dodge():\n    from attendance.contract import slots  # noqa",
    )
    result = _lint(copy)
    assert result.returncode == 1
    assert "attendance.months is not allowed to import attendance.contract" in result.stdout


def test_a_cycle_between_two_sibling_modules_breaks_the_acyclic_contract(copy):
    # pathways already imports volumes; the way back closes a cycle inside the same layer.
    _add_import(copy, "attendance/contract/volumes.py", "import attendance.contract.pathways")
    result = _lint(copy)
    assert result.returncode == 1
    assert "No cycles are allowed in attendance.contract" in result.stdout

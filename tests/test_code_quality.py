"""Static checks run inside the suite, so the README's one test command checks everything."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.lint, pytest.mark.timeout(600)]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed; install the test extra: pip install -e '.[test]'"
    return found


def test_ruff_lint_is_clean() -> None:
    result = _run(_tool("ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = _run(_tool("ruff"), "format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_passes_mypy_strict() -> None:
    result = _run(_tool("mypy"), "--strict", "core")
    assert result.returncode == 0, result.stdout + result.stderr


def test_tui_passes_mypy_strict() -> None:
    # `ramify.tui` imports itself absolutely; `mypy_path` (pyproject) resolves it from the tree.
    result = _run(_tool("mypy"), "--strict", "-p", "ramify.tui")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compat_passes_mypy_strict() -> None:
    result = _run(_tool("mypy"), "--strict", "-p", "ramify.compat")
    assert result.returncode == 0, result.stdout + result.stderr

"""Packaging invariants: the folder-to-package mapping and the two README commands."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAPPING = {
    "core": "ramify.core",
    "tui": "ramify.tui",
    "themes": "ramify.themes",
    "compat": "ramify.compat",
}


def _declared_packages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_folder_is_declared_for_installation() -> None:
    found = set()
    for folder, package in MAPPING.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(ROOT / folder)
            found.add(".".join([package, *relative.parts]))
    missing = found - _declared_packages()
    assert not missing, f"add these to [tool.setuptools].packages: {sorted(missing)}"


def test_installed_layout_has_no_bare_top_level_modules() -> None:
    code = (
        "import importlib.util as u, ramify.core, ramify.tui, ramify.themes, ramify.compat;"
        "print(u.find_spec('core') is None, u.find_spec('tui') is None,"
        " u.find_spec('compat') is None)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=True
    )
    assert out.stdout.split() == ["True", "True", "True"]


def _readme_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", section, flags=re.S)


def test_readme_gives_exactly_two_setup_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in command for command in commands)
    assert commands[0].rstrip().endswith("ramify")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert _readme_commands()[1] in ci


@pytest.mark.slow
def test_version_flag_answers_without_heavy_imports() -> None:
    code = (
        "import sys; from ramify.tui.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('textual', 'openai', 'anthropic', 'aiosqlite') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("ramify ")
    assert "HEAVY []" in out.stdout

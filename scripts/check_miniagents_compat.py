"""Run MiniAgents' own tests against `ramify.compat.miniagents`.

    python scripts/check_miniagents_compat.py            # fetches the sdist from PyPI
    python scripts/check_miniagents_compat.py --sdist miniagents-0.1.0a1.tar.gz

Fetches MiniAgents' source distribution with ``pip download`` (like any dependency), takes
its ``tests/test_agents.py``, ``test_message.py`` and ``test_frozen.py`` (and the promise
layer's ``test_promise.py`` and ``test_sequence.py``), changes only their
``miniagents`` import lines to ``ramify.compat.miniagents`` and runs pytest on them in a
temporary directory. The real ``miniagents`` package is blocked, so nothing can fall through
to it. Tests that pin MiniAgents' own 40-hex hash keys are deselected (`EXCLUDED`): Ramify
keeps its 64-hex canonical hashes. Exit status: pytest's.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ramify.compat.porting import port_miniagents_imports, unported_imports

ROOT = Path(__file__).resolve().parent.parent
VERSION = "0.1.0a1"
# The three the compat layer is held to, and the two of the promise layer it passes too.
# (test_message_sequence.py is left out: it expects token objects, and Ramify's tokens are
# plain `str` on purpose.)
TEST_FILES = (
    "test_agents.py",
    "test_message.py",
    "test_frozen.py",
    "test_promise.py",
    "test_sequence.py",
)

# Each of these asserts MiniAgents' hash recipe (sha256 of its JSON cut to 40 hex digits).
EXCLUDED = {
    "test_message.py::test_message_nesting_vs_hash_key": "pins nested messages' 40-hex hash keys",
    "test_message.py::test_message_hash_key_property": "pins a 40-hex hash key",
    "test_frozen.py::test_sample_model_hash_key": "pins sha256(MiniAgents JSON)[:40] as the hash",
    "test_frozen.py::test_model_hash_key": "pins sha256(MiniAgents JSON)[:40] as the hash",
    "test_frozen.py::test_hash_key_calculated_once": "pins a 40-hex hash key",
    "test_frozen.py::test_frozen_hash_key_property": "pins a 40-hex hash key",
}

PYTEST_INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
timeout = 120
"""

# Makes `import miniagents` fail inside the run, so only the compat layer is exercised, and
# deselects the excluded tests by exact name (pytest's --deselect also drops every test whose
# name merely starts with an excluded one).
CONFTEST = """\
import sys

sys.modules["miniagents"] = None
EXCLUDED = {excluded!r}


def pytest_collection_modifyitems(config, items):
    dropped = [item for item in items if item.nodeid.removeprefix("tests/") in EXCLUDED]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if item not in dropped]
"""


def fetch_sdist(into: Path, version: str) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--pre",
            "--no-binary",
            ":all:",
            f"miniagents=={version}",
            "--dest",
            str(into),
        ],
        check=True,
    )
    return next(into.glob("miniagents-*.tar.gz"))


def extract_tests(sdist: Path, into: Path) -> list[Path]:
    written = []
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if len(parts) == 3 and parts[1] == "tests" and parts[2] in TEST_FILES:
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                source = handle.read().decode("utf-8")
                ported = port_miniagents_imports(source)
                leftover = unported_imports(ported)
                if leftover:
                    raise SystemExit(f"{parts[2]}: imports left unported: {leftover}")
                target = into / parts[2]
                target.write_text(ported, encoding="utf-8")
                written.append(target)
    missing = set(TEST_FILES) - {path.name for path in written}
    if missing:
        raise SystemExit(f"{sdist.name} has no {sorted(missing)}")
    return written


def extract_package(sdist: Path, into: Path) -> Path:
    """Unpack the real `miniagents` package (only to check names against it, never to run
    the tests with it)."""
    with tarfile.open(sdist) as archive:
        members = [
            member
            for member in archive.getmembers()
            if member.isfile() and Path(member.name).parts[1:2] == ("miniagents",)
        ]
        if not members:
            raise SystemExit(f"{sdist.name} holds no miniagents package")
        for member in members:
            # Only regular files under miniagents/, written by name: no links, no paths
            # outside `into` (tarfile's "data" filter is not in every 3.11 release).
            handle = archive.extractfile(member)
            name = Path(member.name)
            if handle is None or name.is_absolute() or ".." in name.parts:
                continue
            target = into.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(handle.read())
    return next(into.iterdir())


def check_readme_table(upstream: Path) -> list[str]:
    """The README table's MiniAgents-side imports, run against the real package."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Coming from MiniAgents\n", 1)[1].split("\n## ", 1)[0]
    lines = re.findall(r"^\| `(from miniagents[^`]*)`", section, flags=re.M)
    code = f"import sys; sys.path.insert(0, {str(upstream)!r})\n" + "\n".join(lines)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"README table: a MiniAgents import fails:\n{result.stderr}")
    return lines


def unmirrored_modules(upstream: Path) -> list[str]:
    """MiniAgents modules that `ramify.compat.miniagents` has no counterpart for."""
    missing = []
    for path in sorted((upstream / "miniagents").rglob("*.py")):
        parts = path.relative_to(upstream).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        try:
            found = importlib.util.find_spec(f"ramify.compat.{name}") is not None
        except ModuleNotFoundError:  # its parent package is missing too
            found = False
        if not found:
            missing.append(name)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sdist", type=Path, help="a downloaded miniagents sdist (.tar.gz)")
    parser.add_argument("--version", default=VERSION, help=f"default {VERSION}")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="miniagents-compat-") as tmp:
        root = Path(tmp)
        sdist = args.sdist or fetch_sdist(root, args.version)
        tests = root / "tests"
        tests.mkdir()
        extract_tests(sdist, tests)
        upstream = extract_package(sdist, root / "upstream")
        checked = check_readme_table(upstream)
        print(f"README table: {len(checked)} MiniAgents imports exist in {sdist.name}")
        print(f"MiniAgents modules not mirrored: {', '.join(unmirrored_modules(upstream))}")
        (root / "pytest.ini").write_text(PYTEST_INI)
        (tests / "conftest.py").write_text(CONFTEST.format(excluded=set(EXCLUDED)))
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-c",
            str(root / "pytest.ini"),
            "--rootdir",
            str(root),
            str(tests),
        ]
        print(f"MiniAgents {sdist.name}: {len(EXCLUDED)} hash-pinning tests deselected:")
        for test, why in EXCLUDED.items():
            print(f"  {test}: {why}")
        return subprocess.run(command, cwd=root, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())

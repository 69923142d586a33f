"""`scripts/check_miniagents_compat.py` takes the three test files out of an sdist and ports
only their import lines (offline here: the sdist is built in the test)."""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_miniagents_compat.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_miniagents_compat", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sdist(path: Path, files: dict[str, str]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"miniagents-9.9/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_three_test_files_are_extracted_with_imports_ported(tmp_path: Path) -> None:
    body = 'from miniagents import miniagent\nx = "from miniagents import y"\n'
    sdist = _sdist(
        tmp_path / "m.tar.gz",
        {f"tests/{name}": body for name in _script().TEST_FILES}
        | {"tests/test_message_sequence.py": body},
    )
    out = tmp_path / "out"
    out.mkdir()

    written = _script().extract_tests(sdist, out)

    assert sorted(path.name for path in written) == [
        "test_agents.py",
        "test_frozen.py",
        "test_message.py",
        "test_promise.py",
        "test_sequence.py",
    ]
    assert (out / "test_agents.py").read_text() == (
        'from ramify.compat.miniagents import miniagent\nx = "from miniagents import y"\n'
    )


def test_an_sdist_without_the_tests_is_a_clear_failure(tmp_path: Path) -> None:
    sdist = _sdist(tmp_path / "m.tar.gz", {"tests/test_agents.py": ""})
    with pytest.raises(SystemExit, match=r"test_frozen\.py"):
        _script().extract_tests(sdist, tmp_path)


def test_only_hash_pinning_tests_are_excluded() -> None:
    excluded = _script().EXCLUDED
    assert len(excluded) == 6
    assert all("hash" in why for why in excluded.values())

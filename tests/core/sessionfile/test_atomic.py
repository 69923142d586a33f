"""`write_atomic`: all of the new text or all of the old, never half, and no litter."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import aiofiles
import pytest

from ramify.core.sessionfile import write_atomic


async def test_writes_a_new_file_and_replaces_an_old_one(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    await write_atomic(target, "first ✓\r\nkeeps line endings\n")
    assert target.read_bytes() == "first ✓\r\nkeeps line endings\n".encode()
    await write_atomic(str(target), "second")
    assert target.read_text(encoding="utf-8") == "second"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chat.md"]


@pytest.mark.skipif(os.name != "posix", reason="permission bits are POSIX")
async def test_an_existing_files_permissions_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    target.write_text("old")
    target.chmod(0o640)
    await write_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


async def test_a_crash_half_way_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "chat.md"
    target.write_text("the old session\n", encoding="utf-8")
    real_open = aiofiles.open
    opened: list[Path] = []

    class HalfWriter:
        """A file whose write stops half-way with a full disk."""

        def __init__(self, handle: Any) -> None:
            self._handle = handle

        async def write(self, text: str) -> None:
            await self._handle.write(text[: len(text) // 2])
            await self._handle.flush()
            assert Path(opened[-1]).read_text(encoding="utf-8")  # half is on disk now
            raise OSError(28, "No space left on device")

        def __getattr__(self, name: str) -> Any:
            return getattr(self._handle, name)

    class Opener:
        def __init__(self, path: Path, *args: Any, **kwargs: Any) -> None:
            opened.append(Path(path))
            self._context = real_open(path, *args, **kwargs)

        async def __aenter__(self) -> HalfWriter:
            return HalfWriter(await self._context.__aenter__())

        async def __aexit__(self, *exc: Any) -> None:
            await self._context.__aexit__(*exc)

    monkeypatch.setattr(aiofiles, "open", Opener)
    with pytest.raises(OSError, match="No space left"):
        await write_atomic(target, "the new session, " * 1000)
    assert target.read_text(encoding="utf-8") == "the old session\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chat.md"]
    temporary = opened[-1]
    assert temporary.parent == tmp_path  # same directory, so the rename is atomic
    assert temporary.name.startswith(".chat.md.")
    assert temporary.suffix == ".tmp"  # hidden and never *.md, even if a crash left it


async def test_a_failed_rename_removes_the_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "chat.md"
    target.write_text("old", encoding="utf-8")

    async def refuse(*args: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(aiofiles.os, "replace", refuse)
    with pytest.raises(PermissionError):
        await write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["chat.md"]

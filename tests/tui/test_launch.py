"""The launcher: `ramify open FILE.md` imports before the first frame; bad files stop it in one
line with the store untouched."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.core import SQLiteStore
from ramify.core.llm import demo_agent
from ramify.core.sessionfile import SessionFileError
from ramify.tui.launch import LaunchOptions, _opener

SESSIONS = Path(__file__).resolve().parents[2] / "sessions"


async def test_open_imports_the_file_and_lands_on_its_active_branch(tmp_path: Path) -> None:
    file = SESSIONS / "branched.tree.md"
    async with SQLiteStore(tmp_path / "s.db") as store:
        opener = await _opener(LaunchOptions(open_file=file), demo_agent, store)
        controller = await opener(store)
        assert controller.session.title
        branches = {ref.name: ref.head for ref in await controller.session.branches()}
        assert controller.heads == branches
        assert controller.branch == controller.session.record.active_branch
        assert controller.path[-1] == branches[controller.branch]
        assert len(branches) > 1  # the example is branched
        # The file's nodes are the session's nodes, hash for hash.
        assert controller.node_count == len(await store.session_nodes(controller.session.id))


async def test_a_damaged_session_file_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    file = tmp_path / "broken.md"
    text = (SESSIONS / "branched.tree.md").read_text(encoding="utf-8")
    file.write_text(text.replace('"kind":"node","hash":"', '"kind":"node","hash":"0', 1))
    async with SQLiteStore(tmp_path / "s.db") as store:
        with pytest.raises(SessionFileError, match=r"broken\.md, line \d+"):
            await _opener(LaunchOptions(open_file=file), demo_agent, store)
        assert await store.list_sessions() == []
        assert await store.count_nodes() == 0


async def test_a_missing_session_file_says_so(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "s.db") as store:
        with pytest.raises(FileNotFoundError, match="no such session file"):
            await _opener(LaunchOptions(open_file=tmp_path / "nope.md"), demo_agent, store)

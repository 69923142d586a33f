"""Reading a session file from disk is bounded: devices, pipes and oversized files are refused
before a byte is read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ramify.core import SQLiteStore
from ramify.core.llm import demo_agent
from ramify.core.sessionfile import SessionFileError, read_session_file
from ramify.tui.launch import LaunchOptions, _opener

from .conftest import SESSIONS


async def test_a_regular_file_is_read_whole() -> None:
    file = SESSIONS / "linear.md"
    assert await read_session_file(file) == file.read_bytes()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
async def test_a_device_is_refused_without_reading_it(device: str) -> None:
    with pytest.raises(SessionFileError, match="not a regular file") as raised:
        await read_session_file(device)
    assert raised.value.source == device


async def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    pipe = tmp_path / "chat.md"
    os.mkfifo(pipe)
    with pytest.raises(SessionFileError, match="not a regular file"):
        await read_session_file(pipe)


async def test_a_file_over_the_limit_is_refused_by_its_size(tmp_path: Path) -> None:
    huge = tmp_path / "huge.md"
    with huge.open("wb") as file:
        file.truncate(100 * 1024 * 1024)  # sparse: nothing is written, nothing should be read
    with pytest.raises(SessionFileError, match="larger than"):
        await read_session_file(huge)
    with pytest.raises(SessionFileError, match="larger than 10 bytes"):
        await read_session_file(SESSIONS / "linear.md", max_bytes=10)


async def test_ramify_open_refuses_dev_zero_in_one_line(tmp_path: Path) -> None:
    async with SQLiteStore(tmp_path / "s.db") as store:
        with pytest.raises(SessionFileError, match="/dev/zero: not a regular file"):
            await _opener(LaunchOptions(open_file=Path("/dev/zero")), demo_agent, store)
        assert await store.list_sessions() == []

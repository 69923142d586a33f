"""`ramify export / import / sessions` helpers, on the default SQLite file of each test's
private RAMIFY_HOME: exit codes, output, and one-line errors without tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.core import AssistantMessage, Session, SQLiteStore, UserMessage
from ramify.core.store.location import resolve_database_path
from ramify.tui.session_commands import export_command, import_command, sessions_command

SESSIONS = Path(__file__).resolve().parent.parent / "sessions"


async def _make(title: str, *texts: str, session_id: str | None = None) -> Session:
    async with SQLiteStore(resolve_database_path()) as store:
        session = await Session.create(store, title=title, session_id=session_id)
        for text in texts:
            await session.append(UserMessage(text=text))
        await session.append(AssistantMessage(text="ok"), sender="BOT", branch="side")
        return session


async def _export(session_id: str, scope: str = "path") -> str:
    async with SQLiteStore(resolve_database_path()) as store:
        return await (await Session.open(store, session_id)).export_markdown(scope)  # type: ignore[arg-type]


def _one_error_line(err: str) -> str:
    lines = err.strip().split("\n")
    assert len(lines) == 1, err
    assert lines[0].startswith("ramify: ")
    assert "Traceback" not in err
    return lines[0]


async def test_export_without_a_session_ref_writes_the_latest_session_to_stdout(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _make("older", "one")
    latest = await _make("newer", "two", "three")
    assert await export_command(None) == 0
    out = capsys.readouterr().out
    assert out == await _export(latest.id)
    assert "three" in out


async def test_export_by_id_prefix_to_a_file_in_the_chosen_scope(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = await _make("mine", "hello", session_id="abcdef0123")
    await _make("other", "x", session_id="abzz")
    target = tmp_path / "out.md"
    assert await export_command("abcd", "tree", None, target) == 0
    assert target.read_text(encoding="utf-8") == await _export(session.id, "tree")
    assert str(target) in capsys.readouterr().err


async def test_export_by_exact_title_and_branch(capsys: pytest.CaptureFixture[str]) -> None:
    await _make("my title", "hello")
    assert await export_command("my title", "path", "side") == 0
    assert "ok" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("ref", "scope", "branch", "code", "says"),
    [
        ("zzz", "path", None, 2, "no session matches 'zzz'"),
        ("a", "path", None, 2, "matches 2 sessions"),
        (None, "everything", None, 2, "unknown scope"),
        (None, "path", "nope", 1, "has no branch 'nope'; its branches: main, side"),
        (None, "related", "nope", 1, "has no branch 'nope'; its branches: main, side"),
        (None, "tree", "nope", 1, "has no branch 'nope'; its branches: main, side"),
    ],
)
async def test_export_problems_are_one_line_with_what_to_do(
    capsys: pytest.CaptureFixture[str],
    ref: str | None,
    scope: str,
    branch: str | None,
    code: int,
    says: str,
) -> None:
    await _make("one", "x", session_id="a1")
    await _make("two", "y", session_id="a2")
    assert await export_command(ref, scope, branch) == code
    assert says in _one_error_line(capsys.readouterr().err)


async def test_export_into_a_missing_folder_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _make("one", "x")
    assert await export_command(None, output=tmp_path / "missing" / "out.md") == 1
    assert "cannot write" in _one_error_line(capsys.readouterr().err)


async def test_export_with_no_sessions_says_how_to_start_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await export_command(None) == 1
    assert "no sessions yet" in _one_error_line(capsys.readouterr().err)


async def test_import_adds_the_file_as_a_session(capsys: pytest.CaptureFixture[str]) -> None:
    path = SESSIONS / "branched.tree.md"
    assert await import_command(path) == 0
    out = capsys.readouterr().out
    assert "as session example-bran" in out
    assert "13 messages on 4 branches" in out
    async with SQLiteStore(resolve_database_path()) as store:
        session = await Session.open(store, "example-branched")
        assert await session.export_markdown("tree") == path.read_text(encoding="utf-8")


async def test_importing_the_same_file_again_reopens_its_session(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = SESSIONS / "linear.md"
    assert await import_command(path) == 0
    first = capsys.readouterr().out
    assert first.startswith(f"imported {path} as session ")
    assert await import_command(path) == 0
    again = capsys.readouterr().out
    assert again.startswith(f"already imported {path} as session ")
    assert again.split("session ")[1][:12] == first.split("session ")[1][:12]
    async with SQLiteStore(resolve_database_path()) as store:
        assert len(await store.list_sessions()) == 1


async def test_import_of_a_damaged_file_writes_nothing_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await _make("existing", "x")
    text = (SESSIONS / "linear.md").read_text(encoding="utf-8")
    bad = tmp_path / "bad.md"
    body = "\nHow do I write a heading in markdown?\n"
    bad.write_text(text.replace(body, body.replace("heading", "title")), "utf-8")
    assert await import_command(bad) == 1
    line = _one_error_line(capsys.readouterr().err)
    assert f"cannot import: {bad}, line 17: message" in line
    assert "edited by hand" in line
    async with SQLiteStore(resolve_database_path()) as store:
        assert [record.title for record in await store.list_sessions()] == ["existing"]


@pytest.mark.parametrize("kind", ["missing", "directory", "device", "binary"])
async def test_import_of_an_unreadable_file_fails_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    path = Path("/dev/zero") if kind == "device" else tmp_path / "x.md"
    if kind == "directory":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert await import_command(path) == 1
    line = _one_error_line(capsys.readouterr().err)
    expected = {
        "missing": "no such file",
        "directory": "not a regular file",
        "device": "/dev/zero: not a regular file",
        "binary": "NUL",
    }
    assert expected[kind] in line


async def test_sessions_lists_newest_first_with_message_and_branch_counts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _make("first one", "a", session_id="1111111111111111")
    await _make("second one", "b", "c", session_id="2222222222222222")
    assert await sessions_command() == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert lines[0].split() == ["ID", "UPDATED", "(UTC)", "MESSAGES", "BRANCHES", "TITLE"]
    assert [line.split()[0] for line in lines[1:]] == ["222222222222", "111111111111"]
    assert lines[1].split()[3:] == ["3", "2", "second", "one"]


async def test_sessions_and_export_follow_the_session_written_last(
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = await _make("first one", "a", session_id="1111111111111111")
    await _make("second one", "b", session_id="2222222222222222")
    async with SQLiteStore(resolve_database_path()) as store:
        reopened = await Session.open(store, first.id)
        await reopened.append(UserMessage(text="written last"))
    assert await sessions_command() == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert [line.split()[0] for line in lines[1:]] == ["111111111111", "222222222222"]
    assert await export_command(None) == 0
    assert "written last" in capsys.readouterr().out


async def test_sessions_shows_titles_as_one_literal_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    await _make("evil\x1b]0;pwned\x07\ntitle", "a")
    assert await sessions_command() == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert out.strip().split("\n")[1].endswith("evil␛]0;pwned␇ title")


async def test_sessions_with_an_empty_database_says_how_to_start(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await sessions_command() == 0
    assert "no sessions yet" in capsys.readouterr().out


async def test_a_damaged_database_is_reported_in_one_line_by_every_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resolve_database_path().write_bytes(b"this is not a database" * 100)
    assert await sessions_command() == 1
    assert await export_command(None) == 1
    assert await import_command(SESSIONS / "linear.md") == 1
    lines = capsys.readouterr().err.strip().split("\n")
    assert len(lines) == 3
    assert all(line.startswith("ramify: ") for line in lines)
    assert resolve_database_path().read_bytes() == b"this is not a database" * 100

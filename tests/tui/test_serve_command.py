"""`ramify serve` without a browser: the command each tab runs, and which requests are served.

The browser itself is in tests/e2e/test_serve.py.
"""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path

import pytest

from ramify.tui import launch
from ramify.tui.serve import (
    DRIVER_IMPORT,
    ServeOptions,
    is_loopback,
    request_refusal,
    serve,
    tab_command,
)
from ramify.tui.serve_token import (
    TOKEN_VARIABLE,
    TokenError,
    cookie_name,
    take_token,
    token_verdict,
)


def test_each_tab_runs_this_python_with_the_session_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    options = ServeOptions(demo=True, config=Path("conf.toml"), agent_spec="team.py:team")
    argv = shlex.split(tab_command(options))
    assert argv == [
        "exec",
        "env",
        f"TEXTUAL_DRIVER={DRIVER_IMPORT}",
        sys.executable,
        "-m",
        "ramify.tui.cli",
        "--demo",
        "--config",
        str(tmp_path / "conf.toml"),
        f"{tmp_path / 'team.py'}:team",
    ]


def test_the_store_reaches_each_tab_in_its_environment_not_its_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = shlex.split(tab_command(ServeOptions(store="team.sqlite3", tools=True)))
    assert argv[2:4] == [f"TEXTUAL_DRIVER={DRIVER_IMPORT}", f"RAMIFY_STORE={tmp_path}/team.sqlite3"]
    assert argv[-1] == "--tools"
    url = "postgresql://me:secret@127.0.0.1:5432/ramify"
    argv = shlex.split(tab_command(ServeOptions(store=url)))
    assert f"RAMIFY_STORE={url}" in argv
    assert url not in argv[argv.index(sys.executable) :]


def test_a_module_agent_spec_is_passed_as_it_is() -> None:
    assert shlex.split(tab_command(ServeOptions(agent_spec="mypkg.agents:team")))[-1] == (
        "mypkg.agents:team"
    )


def test_a_file_name_cannot_run_shell_commands(tmp_path: Path) -> None:
    # textual-serve runs the command through a shell: every argument must stay one word.
    hostile = tmp_path / "a b; touch pwned $(id) `id`.py"
    argv = shlex.split(tab_command(ServeOptions(agent_spec=f"{hostile}:team")))
    assert argv[-1] == f"{hostile}:team"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_loopback_serving_answers_only_to_loopback_names() -> None:
    assert request_refusal("127.0.0.1:8000", "/", {}, public=False) is None
    assert request_refusal("localhost:8000", "/", {}, public=False) is None
    assert request_refusal("[::1]:8000", "/", {}, public=False) is None
    assert request_refusal("rebound.example:8000", "/", {}, public=False) is not None
    assert request_refusal("rebound.example:8000", "/", {}, public=True) is None


def test_a_websocket_from_another_site_is_refused_even_when_public() -> None:
    same = {"Origin": "http://127.0.0.1:8000"}
    other = {"Origin": "http://attacker.example"}
    assert request_refusal("127.0.0.1:8000", "/ws", same, public=False) is None
    assert request_refusal("127.0.0.1:8000", "/ws", other, public=False) is not None
    assert request_refusal("10.0.0.2:8000", "/ws", other, public=True) is not None
    assert request_refusal("10.0.0.2:8000", "/ws", {"Origin": "http://10.0.0.2:8000"}, True) is None


def test_a_named_driver_needs_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # A browser tab's process has pipes where a terminal would be.
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    assert launch._has_terminal() is False
    monkeypatch.setenv("TEXTUAL_DRIVER", DRIVER_IMPORT)
    assert launch._has_terminal() is True


def test_without_the_web_extra_serve_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # import fails
    assert serve(ServeOptions(port=0)) == 1
    assert capsys.readouterr().err == (
        "ramify: serving to a browser needs the web extra: pip install 'ramify[web]'\n"
    )


def test_an_agent_file_that_cannot_load_stops_serve_before_it_listens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve(ServeOptions(port=0, agent_spec=f"{tmp_path / 'missing.py'}:team")) == 2
    error = capsys.readouterr().err
    assert error.startswith("ramify: file not found:")
    assert len(error.splitlines()) == 1


def test_the_token_is_taken_out_of_the_environment_before_tabs_start() -> None:
    environ = {TOKEN_VARIABLE: "x" * 24, "OTHER": "kept"}
    assert take_token(environ) == "x" * 24
    assert environ == {"OTHER": "kept"}
    assert take_token({}) is None


@pytest.mark.parametrize("token", ["short", "has a space in it here", "tab\tin\tthe\ttoken\txx"])
def test_a_weak_or_garbled_token_is_refused(token: str) -> None:
    with pytest.raises(TokenError, match="at least 16 printable characters"):
        take_token({TOKEN_VARIABLE: token})


def test_the_token_is_asked_once_then_carried_by_the_cookie() -> None:
    token, cookie = "s3cret-token-1234567", cookie_name(8000)
    assert token_verdict(token, cookie, {}, {}) == "refuse"
    assert token_verdict(token, cookie, {"token": "wrong-token-12345678"}, {}) == "refuse"
    assert token_verdict(token, cookie, {"token": token}, {}) == "set"
    assert token_verdict(token, cookie, {}, {cookie: token}) == "ok"
    # Another port's server on the same host has its own cookie.
    assert token_verdict(token, cookie, {}, {cookie_name(9000): token}) == "refuse"

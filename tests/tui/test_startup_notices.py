"""Start-up notices: config problems (broken TOML, unknown theme, keymap mistakes, a default
model that cannot run) are shown inside the app, literally, and the config is left as it is;
F1 says where the config lives."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ramify.core import MemoryStore
from ramify.core.llm import DEMO_ALIAS, demo_agent
from ramify.tui.app import RamifyApp
from ramify.tui.launch import LaunchOptions, keymap_notices, load_settings, pick_target

from .ide import ide, until


def _config_file(text: str) -> Path:
    path = Path(os.environ["RAMIFY_CONFIG"])
    path.write_text(text, encoding="utf-8")
    return path


def test_a_broken_config_is_a_notice_naming_file_and_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = _config_file('theme = "nord"\n[keymap\n')
    config, notices = load_settings()
    assert config.theme != "nord"  # the defaults
    assert len(notices) == 1
    assert notices[0].startswith(f"{path}, line 2: invalid TOML")
    assert notices[0].endswith("starting with the default settings")
    assert notices[0] in capsys.readouterr().err  # still on stderr for a run without a screen


def test_an_unknown_theme_is_a_notice_and_the_file_is_left_alone() -> None:
    text = '# mine\ntheme = "solarised"  # sic\n'
    path = _config_file(text)
    config, notices = load_settings()
    assert config.theme == "solarised"
    assert notices == [
        "unknown theme 'solarised' in the config; using ramify-dark (F2 picks a theme)"
    ]
    assert path.read_text(encoding="utf-8") == text


def test_known_themes_and_a_clean_keymap_give_no_notice() -> None:
    _config_file('theme = "nord"\n[keymap]\nfork = "f5"\n')
    assert load_settings()[1] == []
    _config_file('theme = "ramify-light"\n')
    assert load_settings()[1] == []


def test_keymap_unknown_ids_and_clashes_are_reported() -> None:
    notices = keymap_notices({"forkk": "ctrl+b", "fork": "h", "quit": "ctrl+q"})
    assert notices == [
        "keymap: 'forkk' is not an action id (did you mean 'fork'?); it is ignored",
        "keymap: 'h' is bound to 'fork' and 'nav.parent'; give one of them another key",
    ]


def test_the_fallback_to_the_demo_model_says_why() -> None:
    _config_file('default_agent = "mini"\n[models.mini]\nprovider = "openai"\nname = "gpt-x"\n')
    config, _ = load_settings()
    target, notices = pick_target(LaunchOptions(), config)
    assert target is demo_agent
    assert notices == [
        "default_agent 'mini' needs an API key in $OPENAI_API_KEY; set it and restart. "
        "Using the offline demo model meanwhile."
    ]


def test_an_unknown_default_model_says_which_are_configured() -> None:
    _config_file('default_agent = "lama"\n[models.llama]\nprovider = "openai"\n')
    config, _ = load_settings()
    target, notices = pick_target(LaunchOptions(), config)
    assert target is demo_agent
    assert len(notices) == 1
    assert "default_agent 'lama' is not a configured model" in notices[0]
    assert f"configured: {DEMO_ALIAS}, llama" in notices[0]


def test_a_usable_default_model_and_the_demo_flag_give_no_notice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _config_file('default_agent = "mini"\n[models.mini]\nprovider = "openai"\nname = "gpt-x"\n')
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    config, _ = load_settings()
    target, notices = pick_target(LaunchOptions(), config)
    assert (target.alias if target else None, notices) == ("mini", [])
    assert pick_target(LaunchOptions(demo=True), config) == (demo_agent, [])


async def test_notices_are_toasts_shown_literally() -> None:
    notice = "x.toml, line 1: invalid TOML: [b]bold[/b] [@click=app.quit]quit[/]"

    async def never(_store: object) -> object:
        raise RuntimeError("the session is not needed here")

    app = RamifyApp(MemoryStore(), never, startup_notices=(notice,))  # type: ignore[arg-type]
    async with app.run_test(notifications=True) as pilot:
        await until(pilot, lambda: any(n.message == notice for n in app._notifications))
        shown = next(n for n in app._notifications if n.message == notice)
        assert (shown.severity, shown.markup) == ("warning", False)


async def test_an_unknown_start_theme_is_not_saved_but_a_picked_one_is() -> None:
    saved: list[str] = []
    async with ide(MemoryStore(), theme="solarised", save_theme=saved.append) as (app, pilot):
        await pilot.pause()
        assert app.theme == "ramify-dark"
        assert saved == []
        app.theme = "nord"
        await until(pilot, lambda: saved == ["nord"])


async def test_help_shows_where_the_config_lives() -> None:
    from textual.widgets import Static

    from ramify.tui.screens.help import HelpScreen

    async with ide(MemoryStore()) as (app, pilot):
        await app.push_screen(HelpScreen())
        await pilot.pause()
        line = app.screen.query_one("#help-config", Static)
        assert str(line.render()) == f"Config file: {os.environ['RAMIFY_CONFIG']}"

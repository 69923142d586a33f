"""The TOML config: defaults, validation errors naming file and line, writing back."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.core.llm import (
    ConfigError,
    config_path,
    estimate_cost,
    format_cost,
    load_config,
    set_setting,
)

GOOD = """\
# my config
default_agent = "gpt-mini"
theme = "nord"

[providers.local]
kind = "openai-compatible"
base_url = "http://localhost:11434/v1"

[models.gpt-mini]
provider = "openai"
name = "gpt-4o-mini"
input_price = 0.15
output_price = 0.6

[models.llama]
provider = "local"

[keymap]
fork = "ctrl+f"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path / "absent.toml")
    assert config.default_agent == "demo"
    assert set(config.providers) == {"openai", "anthropic"}


def test_ramify_config_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, GOOD)
    monkeypatch.setenv("RAMIFY_CONFIG", str(path))
    assert config_path() == path
    config = load_config()
    assert config.theme == "nord"
    assert config.model_name("gpt-mini") == "gpt-4o-mini"
    assert config.model_name("llama") == "llama"
    assert config.provider_of("llama").base_url == "http://localhost:11434/v1"
    assert config.provider_of("llama").key_env is None
    assert config.provider_of("gpt-mini").key_env == "OPENAI_API_KEY"
    assert config.keymap == {"fork": "ctrl+f"}


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ('theme = "nord"\nautosave = yes\n', 2, "invalid TOML"),
        (
            'theme = "nord"\n\n[models.m]\nprovider = "openai"\ninput_price = "cheap"\n',
            5,
            "models.m.input_price: Input should be a valid number",
        ),
        ('[models.m]\nprovider = "nowhere"\n', 2, "unknown provider 'nowhere'"),
        ('theme = "x"\n[providers.p]\nkind = "grpc"\n', 3, "providers.p.kind"),
        ('colour = "red"\n', 1, "colour: Extra inputs are not permitted"),
        ('[models.m]\nname = "x"\n', 1, "models.m.provider: Field required"),
    ],
)
def test_invalid_config_names_file_line_and_problem(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: ")
    assert problem in message
    assert "\n" not in message


def test_set_setting_keeps_the_rest_of_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    set_setting("theme", 'dracula "dark"', path=path)
    set_setting("autosave", False, path=path)
    set_setting("keymap.fork", "ctrl+k", path=path)
    set_setting("keymap.quit", "ctrl+q", path=path)
    text = path.read_text()
    assert text.startswith("# my config\n")
    assert 'theme = "dracula \\"dark\\""' in text
    config = load_config(path)
    assert (config.theme, config.autosave) == ('dracula "dark"', False)
    assert config.keymap == {"fork": "ctrl+k", "quit": "ctrl+q"}
    assert config.models["gpt-mini"].input_price == 0.15


@pytest.mark.parametrize(
    ("before", "key", "value", "after"),
    [
        # A comment at the end of the changed line stays.
        (
            '# mine\ntheme = "nord"  # my favourite\n\n[keymap]\nfork = "f5"\n',
            "theme",
            "dracula",
            '# mine\ntheme = "dracula"  # my favourite\n\n[keymap]\nfork = "f5"\n',
        ),
        # A keymap written as an inline table gains the key in place (no second [keymap]).
        (
            'keymap = { fork = "f5" }  # keys\ntheme = "nord"\n',
            "keymap.quit",
            "ctrl+q",
            'keymap = { fork = "f5", quit = "ctrl+q"}  # keys\ntheme = "nord"\n',
        ),
        # A new top-level setting goes above the first table, where TOML can read it.
        (
            '# top\n\n[keymap]\n# remaps\nfork = "f5"\n',
            "theme",
            "nord",
            '# top\ntheme = "nord"\n\n[keymap]\n# remaps\nfork = "f5"\n',
        ),
        # Action ids with a dot are quoted keys inside [keymap].
        (
            '[keymap]\nfork = "f5"    # aligned\n',
            "keymap.nav.parent",
            "ctrl+up",
            '[keymap]\nfork = "f5"    # aligned\n"nav.parent" = "ctrl+up"\n',
        ),
    ],
)
def test_set_setting_keeps_comments_and_layout(
    tmp_path: Path, before: str, key: str, value: str, after: str
) -> None:
    path = _write(tmp_path, before)
    set_setting(key, value, path=path)
    assert path.read_text(encoding="utf-8") == after
    assert load_config(path)


def test_set_setting_into_dotted_keys_keeps_them(tmp_path: Path) -> None:
    path = _write(tmp_path, 'keymap.fork = "f5"\ntheme = "nord"\n')
    set_setting("keymap.quit", "ctrl+q", path=path)
    assert load_config(path).keymap == {"fork": "f5", "quit": "ctrl+q"}
    assert path.read_text(encoding="utf-8").startswith('keymap.fork = "f5"\n')


def test_set_setting_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    set_setting("keymap.fork", "f5", path=path)
    set_setting("theme", "nord", path=path)
    config = load_config(path)
    assert (config.theme, config.keymap) == ("nord", {"fork": "f5"})


def test_set_setting_refuses_a_value_that_breaks_the_config(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    with pytest.raises(ConfigError):
        set_setting("autosave", "sometimes", path=path)
    assert path.read_text() == GOOD


def test_cost_estimate_uses_prices_per_million_tokens() -> None:
    cost = estimate_cost(1_000, 2_000, input_price=0.15, output_price=0.6)
    assert cost == pytest.approx(0.00135)
    assert format_cost(cost) == "$0.0014"
    assert estimate_cost(10, 10, input_price=None, output_price=1.0) is None
    assert format_cost(None) == ""

"""Ramify's TOML config: providers, models and prices, the default agent, theme, keymap.

The file is ``config.toml`` in the user config directory (platformdirs), or the path in
``RAMIFY_CONFIG``, or one given explicitly (the CLI flag). A missing file means defaults.
Any problem raises `ConfigError`, one line naming the file, the line and the problem.
Keys are never stored here: a provider names the environment variable that holds its key.

    default_agent = "gpt-mini"
    theme = "nord"
    store = "postgresql://me@db.example.org/ramify"   # default: a SQLite file

    [providers.local]
    kind = "openai-compatible"
    base_url = "http://localhost:11434/v1"

    [models.gpt-mini]
    provider = "openai"
    name = "gpt-4o-mini"
    input_price = 0.15    # dollars per million tokens
    output_price = 0.60

    [keymap]
    fork = "ctrl+f"
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..redact import redact_url
from .keys import DEFAULT_KEY_ENV

__all__ = [
    "AgentSettings",
    "ConfigError",
    "McpServerConfig",
    "ModelConfig",
    "ProviderConfig",
    "RamifyConfig",
    "config_path",
    "load_config",
    "parse_config",
    "set_setting",
]

ProviderKind = Literal["openai", "anthropic", "openai-compatible"]


class ConfigError(Exception):
    """The config cannot be used; ``str(error)`` is ``"<file>, line <n>: <problem>"``."""


class ProviderConfig(BaseModel):
    """One provider: its wire protocol, endpoint and the env var holding its key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ProviderKind
    base_url: str | None = None
    api_key_env: str | None = None

    @property
    def key_env(self) -> str | None:
        """The env var to read the key from; None for a compatible endpoint without a key."""
        return self.api_key_env or DEFAULT_KEY_ENV.get(self.kind)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # The repr (and str) of a config reaches logs and tracebacks: its URL shows masked.
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name == "base_url" and value else value


class ModelConfig(BaseModel):
    """One model a user can pick: its provider, API name and prices per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: str
    name: str | None = None
    input_price: float | None = Field(default=None, ge=0)
    output_price: float | None = Field(default=None, ge=0)


class McpServerConfig(BaseModel):
    """An MCP server started over stdio for its tools (``[mcp_servers.NAME]``).

    ``env`` holds plain settings; a secret stays in the environment and is passed by name in
    ``env_from``, so no key is ever written in the config.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str
    args: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)
    env_from: list[str] = Field(default_factory=list)
    cwd: str | None = None


class ToolSettings(BaseModel):
    """Per-tool settings (``[tools.NAME]``, NAME a tool name or a glob): ``policy`` is
    ``allow``, ``ask`` (stop for an approval) or ``deny``; unset, the tool's annotations
    decide (see `ramify.core.tools.policy`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    policy: Literal["allow", "ask", "deny"] | None = None


class AgentSettings(BaseModel):
    """Per-agent settings (``[agents.NAME]``): ``remote`` runs it on NATS workers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    remote: str | None = Field(default=None, pattern=r"^(nats|tls)://\S+$")

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name == "remote" and value else value


BUILTIN_PROVIDERS = {
    "openai": ProviderConfig(kind="openai"),
    "anthropic": ProviderConfig(kind="anthropic"),
}


class RamifyConfig(BaseModel):
    """The whole config. ``providers`` always includes the built-in openai and anthropic."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default_agent: str = "demo"
    theme: str = "ramify-dark"
    autosave: bool = True
    keymap: dict[str, str] = Field(default_factory=dict)
    # Where sessions are kept: a file path or a URL (see `ramify.core.store.choice`).
    store: str | None = None
    providers: dict[str, ProviderConfig] = Field(default_factory=lambda: dict(BUILTIN_PROVIDERS))
    models: dict[str, ModelConfig] = Field(default_factory=dict)
    mcp_servers: dict[str, McpServerConfig] = Field(default_factory=dict)
    agents: dict[str, AgentSettings] = Field(default_factory=dict)
    tools: dict[str, ToolSettings] = Field(default_factory=dict)

    def tool_policies(self) -> dict[str, str]:
        """The ``[tools.NAME] policy`` entries that are set, by tool name or glob."""
        return {name: item.policy for name, item in self.tools.items() if item.policy}

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # A store URL may hold a password: the repr shows it masked, as a provider's URL.
        for name, value in super().__repr_args__():
            yield name, redact_url(value) if name == "store" and value else value

    def model_name(self, alias: str) -> str:
        """The API name of the model configured as `alias`."""
        return self.models[alias].name or alias

    def provider_of(self, alias: str) -> ProviderConfig:
        """The provider of the model configured as `alias`."""
        return self.providers[self.models[alias].provider]


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The config file to use: `explicit`, else ``RAMIFY_CONFIG``, else the user's."""
    if explicit is not None:
        return Path(explicit)
    if os.environ.get("RAMIFY_CONFIG"):
        return Path(os.environ["RAMIFY_CONFIG"])
    from platformdirs import user_config_path

    return user_config_path("ramify") / "config.toml"


def load_config(path: str | os.PathLike[str] | None = None) -> RamifyConfig:
    """Read and validate the config (see `config_path`); defaults when the file is missing."""
    file = config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return RamifyConfig()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ConfigError(f"{file}: cannot read the config: {reason}") from None
    return parse_config(text, file)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def parse_config(text: str, file: str | os.PathLike[str] = "<config>") -> RamifyConfig:
    """Validate config `text`; `file` is named in errors."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        found = _TOML_POSITION.search(message)
        line = int(found.group(1)) if found else 1
        column = f" (column {found.group(2)})" if found else ""
        problem = _TOML_POSITION.sub("", message)
        raise ConfigError(f"{file}, line {line}: invalid TOML: {problem}{column}") from None
    try:
        config = RamifyConfig.model_validate(
            {**data, "providers": {**BUILTIN_PROVIDERS, **data.get("providers", {})}}
            if isinstance(data.get("providers", {}), dict)
            else data
        )
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(str(part) for part in first["loc"])
        more = f" (and {error.error_count() - 1} more)" if error.error_count() > 1 else ""
        problem = f"{'.'.join(loc) or 'config'}: {first['msg']}{more}"
        raise ConfigError(f"{file}, line {_line_of(text, loc)}: {problem}") from None
    for alias, model in config.models.items():
        if model.provider not in config.providers:
            loc = ("models", alias, "provider")
            known = ", ".join(sorted(config.providers))
            raise ConfigError(
                f"{file}, line {_line_of(text, loc)}: models.{alias}.provider: unknown "
                f"provider {model.provider!r} (known: {known})"
            )
    return config


_KEY_PART = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[^.]+')


def _key_path(key: str) -> tuple[str, ...]:
    parts = [part.strip() for part in _KEY_PART.findall(key.strip())]
    return tuple(json.loads(p) if p.startswith('"') else p.strip("'") for p in parts if p)


def _entries(text: str) -> Iterator[tuple[int, tuple[str, ...], tuple[str, ...] | None]]:
    """Each table header and key line: (line number, table path, key path or None)."""
    table: tuple[str, ...] = ()
    in_multiline = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            in_multiline = (line.count('"""') + line.count("'''")) % 2 == 0
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            inner = line.lstrip("[").split("]", 1)[0]
            table = _key_path(inner)
            yield number, table, None
        elif "=" in line:
            key, _, value = line.partition("=")
            yield number, table, _key_path(key)
            in_multiline = (value.count('"""') + value.count("'''")) % 2 == 1


def _line_of(text: str, loc: tuple[str, ...]) -> int:
    """The line defining `loc`, or of its nearest enclosing key or table (1 if none)."""
    best, best_length = 1, -1
    for number, table, key in _entries(text):
        path = table + (key or ())
        if path == loc[: len(path)] and len(path) > best_length:
            best, best_length = number, len(path)
    return best


def set_setting(
    key: str, value: str | bool | int | float, *, path: str | os.PathLike[str] | None = None
) -> Path:
    """Write one setting back, keeping the rest of the file (comments included) as it is.

    `key` is a top-level setting (``"theme"``) or ``"table.key"`` (``"keymap.fork"``). The
    new text is validated before it replaces the file; returns the file written.
    """
    import tomlkit  # a round-tripping parser: comments, order and spacing survive the write

    file = config_path(path)
    text = file.read_text(encoding="utf-8") if file.exists() else ""
    parse_config(text, file)  # a broken file is reported, never rewritten
    document = tomlkit.parse(text)
    table_name, name = key.split(".", 1) if "." in key else ("", key)
    container: MutableMapping[str, Any] = document
    if table_name:
        if table_name not in document:
            document[table_name] = tomlkit.table()
        container = document[table_name]
    container[name] = value
    new_text = tomlkit.dumps(document)
    parse_config(new_text, file)
    file.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=".config-", suffix=".toml")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(new_text)
    os.replace(temporary, file)
    return file

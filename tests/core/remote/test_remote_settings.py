"""`[agents.NAME] remote = "nats://..."` in the config, and the CLI's worker commands."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ramify.core import agent
from ramify.core.llm.config import ConfigError, parse_config
from ramify.core.remote import RemoteTarget, remote_url_for, with_remote_settings
from tests.servers.nats import nats_server

from .workers import start_worker, workers

__all__ = ["nats_server", "workers"]


@agent(alias="WRITER", style="short")
async def writer(ctx: object) -> None:
    """Writes."""


def test_config_names_an_agent_remote_and_it_runs_on_workers() -> None:
    config = parse_config('[agents.WRITER]\nremote = "nats://bus:4222"\n', "config.toml")
    assert remote_url_for("WRITER", config) == "nats://bus:4222"
    remote = with_remote_settings(writer, config)
    assert remote.alias == "WRITER"
    assert remote.params["style"] == "short"
    target = remote.merged_kwargs({})["remote"]
    assert isinstance(target, RemoteTarget)
    assert target.url == "nats://bus:4222"


def test_an_agent_the_config_does_not_name_stays_local() -> None:
    config = parse_config('[agents.OTHER]\nremote = "nats://bus:4222"\n', "config.toml")
    assert with_remote_settings(writer, config) is writer


def test_a_remote_that_is_not_a_nats_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"config\.toml"):
        parse_config('[agents.WRITER]\nremote = "http://bus"\n', "config.toml")


def _ramify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ramify.tui.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_workers_on_an_unreachable_server_is_one_line_and_exit_1() -> None:
    result = _ramify("workers", "--nats", "nats://127.0.0.1:9")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "cannot reach the NATS server at nats://127.0.0.1:9" in result.stderr


def test_worker_with_an_agent_that_does_not_load_is_one_line_and_exit_1(tmp_path) -> None:
    result = _ramify("worker", "--nats", "nats://127.0.0.1:9", f"{tmp_path}/none.py:X")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_ramify_workers_lists_a_live_worker(nats_server, workers) -> None:
    workers.append(start_worker(nats_server.url, "echo", "fails"))
    result = _ramify("workers", "--nats", nats_server.url)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"{workers[0].worker_id}  ramify ")
    assert line.endswith("running 0  serves ECHO, FAILS")


def test_ramify_workers_with_none_says_so(nats_server) -> None:
    result = _ramify("workers", "--nats", nats_server.url)
    assert result.returncode == 0
    assert result.stdout == f"no workers at {nats_server.url}\n"


def test_worker_on_an_unreachable_server_is_one_line_and_exit_1() -> None:
    from .workers import AGENTS

    result = _ramify("worker", "--nats", "nats://127.0.0.1:9", f"{AGENTS}:echo")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "cannot reach the NATS server at nats://127.0.0.1:9" in result.stderr

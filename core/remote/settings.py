"""`with_remote_settings`: the config's ``[agents.NAME] remote = "nats://..."`` applied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..agents import Agent

if TYPE_CHECKING:
    from ..llm.config import RamifyConfig

__all__ = ["remote_url_for", "with_remote_settings"]


def remote_url_for(alias: str, config: RamifyConfig) -> str | None:
    """The NATS URL the config runs agent `alias` on, or None (it runs in process)."""
    settings = config.agents.get(alias)
    return settings.remote if settings is not None else None


def with_remote_settings(target: Agent, config: RamifyConfig) -> Agent:
    """`target` itself, or a remote agent of the same alias and kwargs if the config says so."""
    url = remote_url_for(target.alias, config)
    if url is None:
        return target
    from .caller import remote_agent

    return remote_agent(target, nats=url)

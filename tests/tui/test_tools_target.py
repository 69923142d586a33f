"""``ramify --tools``: the model gets the demo tools (and the config's MCP servers)."""

from __future__ import annotations

from ramify.core import MemoryStore, Ramify, Session, UserMessage, agent
from ramify.core.llm import RamifyConfig, demo_agent
from ramify.tui.cli import build_parser
from ramify.tui.tools_target import equip_with_tools


def test_the_flag_is_offered() -> None:
    assert build_parser().parse_args(["--tools"]).tools is True
    assert build_parser().parse_args([]).tools is False


async def test_the_demo_model_gets_the_calculator() -> None:
    target, notices = await equip_with_tools(demo_agent.fork(tokens_per_second=0), RamifyConfig())
    assert notices == []
    assert target.alias == demo_agent.alias
    async with Ramify():
        session = await Session.create(MemoryStore())
        await session.append(UserMessage("what is 12*7"))
        await session.inquire(target).recorded()
        texts = [message.text for _, message in await session.path_messages("main")]
    assert texts[2] == "84"


async def test_an_agent_file_keeps_its_own_tools() -> None:
    @agent
    async def mine(ctx: object) -> None:
        return None

    target, notices = await equip_with_tools(mine, RamifyConfig())
    assert target is mine
    assert notices == ["--tools needs a model; MINE is an agent and keeps its own tools"]

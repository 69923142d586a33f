"""Porting a MiniAgents program by its import lines alone, then running it on Ramify."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from ramify.compat.porting import port_miniagents_imports, unported_imports
from ramify.core import Agent
from ramify.tui.agent_loader import load_agent_spec

PROGRAM = Path(__file__).parent / "programs" / "miniagents_chat.py"


@pytest.mark.parametrize(
    ("line", "ported"),
    [
        ("from miniagents import miniagent", "from ramify.compat.miniagents import miniagent"),
        (
            "    from miniagents.promising.sentinels import NO_VALUE, Sentinel",
            "    from ramify.compat.miniagents.promising.sentinels import NO_VALUE, Sentinel",
        ),
        ("import miniagents", "import ramify.compat.miniagents as miniagents"),
        ("import miniagents as ma", "import ramify.compat.miniagents as ma"),
        (
            "import miniagents.ext",
            "import ramify.compat.miniagents.ext; from ramify.compat import miniagents",
        ),
    ],
)
def test_import_lines_are_ported(line: str, ported: str) -> None:
    assert port_miniagents_imports(line) == ported
    assert unported_imports(port_miniagents_imports(line)) == []


def test_only_import_lines_change() -> None:
    source = 'import miniagentsx\nname = "from miniagents import x"\n# import miniagents\n'
    assert port_miniagents_imports(source) == source


def test_a_miniagents_program_runs_with_only_its_imports_ported(tmp_path: Path) -> None:
    original = PROGRAM.read_text(encoding="utf-8")
    ported = port_miniagents_imports(original)
    changed = [
        (before, after)
        for before, after in zip(original.splitlines(), ported.splitlines(), strict=True)
        if before != after
    ]
    assert [before for before, _ in changed] == [
        "from miniagents import InteractionContext, Message, MiniAgents, TextMessage, miniagent",
        "from miniagents.ext import AWAIT, agent_loop",
    ]
    script = tmp_path / "chat.py"
    script.write_text(ported, encoding="utf-8")
    program = runpy.run_path(str(script))

    program["run"]()  # returns: the loop's KeyboardInterrupt stays inside it

    assert program["LOG"] == [
        "echo: ping",
        'echo: ```json\n{"class_":"Message","kind":"pong"}\n```',
        "USER: hi",
        'ASSISTANT: You said: "hi"',
        "USER: how are you?",
        'ASSISTANT: You said: "how are you?"',
    ]
    persisted = program["PERSISTED"]
    assert {"ping", "echo: ping", "hi", 'You said: "hi"', 'You said: "how are you?"'} <= set(
        persisted
    )


async def test_a_ported_agent_loads_as_the_ide_loads_it(tmp_path: Path) -> None:
    # As `ramify chat.py:parrot_agent` loads it: the IDE then runs it like any Ramify agent.
    script = tmp_path / "chat.py"
    script.write_text(port_miniagents_imports(PROGRAM.read_text(encoding="utf-8")))
    loaded = load_agent_spec(f"{script}:parrot_agent")
    assert isinstance(loaded, Agent)
    assert loaded.alias == "PARROT_AGENT"

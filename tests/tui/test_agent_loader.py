"""`load_agent_spec`: ``file.py:name`` and ``module:name`` to an `Agent`, or a one-line error."""

from __future__ import annotations

import gc
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from ramify.core import Agent
from ramify.core.llm import demo_agent
from ramify.tui.agent_loader import AgentSpecError, load_agent_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

AGENTS_FILE = """
from ramify.core import agent, agent_loop
from ramify.core.llm import demo_agent

@agent
async def helper(ctx):
    ctx.reply("hi")

@agent(alias="CRITIC")
async def critic(ctx):
    ctx.reply("no")

fast_demo = demo_agent.fork(alias="FAST", tokens_per_second=0)

async def not_decorated(ctx):
    ctx.reply("?")

NUMBER = 3
"""


@pytest.fixture(autouse=True)
def _restore_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))


def _write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def _error(spec: str) -> str:
    with pytest.raises(AgentSpecError) as caught:
        load_agent_spec(spec)
    message = str(caught.value)
    assert "\n" not in message
    assert "Traceback" not in message
    return message


def test_loads_an_agent_from_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "team.py", AGENTS_FILE)
    loaded = load_agent_spec(f"{path}:critic")
    assert isinstance(loaded, Agent)
    assert loaded.alias == "CRITIC"


def test_loads_a_forked_agent_from_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "team.py", AGENTS_FILE)
    loaded = load_agent_spec(f"{path}:fast_demo")
    assert loaded.alias == "FAST"
    assert loaded.params["tokens_per_second"] == 0


def test_loads_an_agent_from_a_module_path() -> None:
    assert load_agent_spec("ramify.core.llm:demo_agent") is demo_agent


def test_loads_from_a_module_on_sys_path(tmp_path: Path) -> None:
    _write(tmp_path, "my_agents_mod.py", AGENTS_FILE)
    sys.path.insert(0, str(tmp_path))
    assert load_agent_spec("my_agents_mod:helper").alias == "HELPER"


def test_a_file_can_import_its_neighbours(tmp_path: Path) -> None:
    _write(tmp_path, "personas_nearby.py", 'PERSONA = "calm"\n')
    path = _write(
        tmp_path,
        "uses_neighbour.py",
        """
        from personas_nearby import PERSONA
        from ramify.core import agent

        @agent(alias=PERSONA.upper())
        async def calm(ctx):
            ctx.reply(PERSONA)
        """,
    )
    assert load_agent_spec(f"{path}:calm").alias == "CALM"


def test_loading_again_picks_up_edits(tmp_path: Path) -> None:
    path = _write(tmp_path, "edited.py", AGENTS_FILE)
    assert load_agent_spec(f"{path}:critic").alias == "CRITIC"
    path.write_text(AGENTS_FILE.replace('alias="CRITIC"', 'alias="REVIEWER"'), encoding="utf-8")
    assert load_agent_spec(f"{path}:critic").alias == "REVIEWER"


def test_the_same_file_gives_the_same_fingerprint(tmp_path: Path) -> None:
    path = _write(tmp_path, "stable.py", AGENTS_FILE)
    first = load_agent_spec(f"{path}:helper")
    second = load_agent_spec(f"{path}:helper")
    assert first is not second
    assert first.fingerprint() == second.fingerprint()


def test_loads_the_team_and_debate_examples() -> None:
    assert load_agent_spec(f"{EXAMPLES / 'parallel_team.py'}:team").alias == "TEAM"
    assert load_agent_spec(f"{EXAMPLES / 'debate.py'}:debate").alias == "DEBATE"


def test_agent_spec_error_is_a_value_error() -> None:
    assert issubclass(AgentSpecError, ValueError)


def test_missing_file_says_so(tmp_path: Path) -> None:
    message = _error(f"{tmp_path / 'nope.py'}:agent")
    assert message.startswith("file not found:")
    assert "nope.py" in message


def test_missing_file_without_the_py_suffix_says_so(tmp_path: Path) -> None:
    assert _error(f"{tmp_path / 'nope'}:agent").startswith("file not found:")


def test_a_file_that_is_not_python_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "agents.txt", AGENTS_FILE)
    assert "is not a .py file" in _error(f"{path}:helper")


def test_a_folder_is_refused(tmp_path: Path) -> None:
    assert "is a folder" in _error(f"{tmp_path}:helper")


def test_an_import_error_gives_its_type_and_message(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.py", 'raise RuntimeError("no config\\nat all")\n')
    message = _error(f"{path}:helper")
    assert "RuntimeError: no config at all" in message
    assert "broken.py" in message


RUNS_AT_IMPORT = """
import asyncio
from ramify.core import Ramify, agent

@agent
async def my_agent(ctx):
    ctx.reply("hi")

async def main():
    print(await my_agent.inquire("x"))

{call}
"""


@pytest.mark.parametrize("call", ["Ramify().run(main())", "asyncio.run(main())"])
async def test_a_file_that_runs_its_agents_at_import_is_told_where_to_put_the_call(
    tmp_path: Path, call: str
) -> None:
    # The IDE loads agents inside its running event loop, as this test does.
    path = _write(tmp_path, "first_agent.py", RUNS_AT_IMPORT.format(call=call))
    # Earlier tests' garbage (an unclosed socket, say) warns when collected: not this one's.
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        message = _error(f"{path}:my_agent")
        gc.collect()
    assert message == (
        f"{path} runs its agents when imported; put `Ramify().run(...)` under "
        '`if __name__ == "__main__":`'
    )
    assert [str(warning.message) for warning in caught] == []


def test_a_syntax_error_is_reported(tmp_path: Path) -> None:
    path = _write(tmp_path, "typo.py", "def oops(:\n")
    assert "SyntaxError" in _error(f"{path}:oops")


def test_a_file_calling_sys_exit_does_not_exit(tmp_path: Path) -> None:
    path = _write(tmp_path, "exits.py", "import sys\nsys.exit(3)\n")
    assert "SystemExit: 3" in _error(f"{path}:main")


def test_a_missing_name_lists_the_agents_defined_in_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "team.py", AGENTS_FILE)
    message = _error(f"{path}:expert")
    assert "has no 'expert'" in message
    assert message.endswith("agents in it: critic, fast_demo, helper")


def test_a_missing_name_in_a_file_without_agents(tmp_path: Path) -> None:
    path = _write(tmp_path, "empty.py", "X = 1\n")
    assert _error(f"{path}:team").endswith("it defines no @agent")


def test_a_spec_without_a_name_lists_the_agents(tmp_path: Path) -> None:
    path = _write(tmp_path, "team.py", AGENTS_FILE)
    message = _error(str(path))
    assert "name the agent after a colon" in message
    assert "critic, fast_demo, helper" in message


def test_an_undecorated_async_function_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = _write(tmp_path, "team.py", AGENTS_FILE)
    message = _error(f"{path}:not_decorated")
    assert "is an async function, not an agent" in message
    assert "@agent" in message


def test_a_value_that_is_not_an_agent_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "team.py", AGENTS_FILE)
    message = _error(f"{path}:NUMBER")
    assert message.startswith("'NUMBER' in ")
    assert "is an int, not an agent" in message


def test_an_unknown_module_says_so() -> None:
    assert "no module named 'surely_not_a_module'" in _error("surely_not_a_module.sub:agent")


def test_a_module_whose_import_fails_reports_the_error(tmp_path: Path) -> None:
    _write(tmp_path, "needs_missing_dep.py", "import surely_not_a_dependency\n")
    sys.path.insert(0, str(tmp_path))
    message = _error("needs_missing_dep:agent")
    assert "importing needs_missing_dep raised ModuleNotFoundError" in message


def test_a_spec_without_a_colon_explains_the_format() -> None:
    assert "expected path/to/file.py:name" in _error("just_a_name")


def test_a_name_that_is_not_an_identifier_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "team.py", AGENTS_FILE)
    assert "is not a Python name" in _error(f"{path}:not-a-name")

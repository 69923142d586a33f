"""examples/workflows/: the MetaGPT-style SOP, the write -> run -> fix loop, streaming, and the
nested ones (a sub-workflow and a network in a state), offline."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from ramify.core.workflow import TaskOutput

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "workflows"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_sop_revises_the_design_once_then_codes(capsys: pytest.CaptureFixture[str]) -> None:
    sop = _load("sop")
    result = await sop.main("keep a todo list")
    # The first design lacks tests (fallback -> design), the second passes (-> coding).
    assert result.states == ["design", "design", "coding"]
    assert result.outputs[("design", "architect")].revision == 2
    assert "tests in test_app.py" in result.result["code"]
    assert "design -> design -> coding" in capsys.readouterr().out
    # Every task output of every state execution is a node on the run's branch path.
    path = await result.session.path_messages(result.branch)
    tasks = [message.task for _, message in path if isinstance(message, TaskOutput)]
    assert tasks == ["product_manager", "architect"] * 2 + ["engineer"]


async def test_write_run_fix_stops_when_the_checks_pass() -> None:
    example = _load("write_run_fix")
    result = await example.main(5)
    assert result.states == ["attempt", "attempt", "attempt", "done"]
    assert result.result["summary"] == "passed after 3 tries"


async def test_write_run_fix_gives_up_after_n_tries() -> None:
    example = _load("write_run_fix")
    result = await example.main(2)
    assert result.states == ["attempt", "attempt", "gave_up"]
    assert result.result["summary"].startswith("gave up after 2 tries: AssertionError")


async def test_streaming_example_streams_each_writing_task_into_the_watcher(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = _load("streaming")
    example.TOKENS_PER_SECOND = 0.0
    result = await example.main("branching conversations")
    out = capsys.readouterr().out
    # The tokens printed by the watcher are the writer's article, streamed before it is done.
    article = result.outputs[("draft", "writer")].article
    assert article in out
    assert out.index(article) < out.index("[draft/writer: done]")
    assert result.states == ["draft", "review"]
    assert isinstance(example.streaming, type(example.build()))


async def test_nested_example_runs_the_editing_workflow_inside_the_publishing_one() -> None:
    example = _load("nested")
    result = await example.main("trees")
    assert result.result["article"] == "Trees: why; how; what next. (3 drafts)"
    assert result.outputs[("write", "edit")].revisions == 3
    session = result.session
    runs = await session.runs()
    edit_run = next(run for run in runs if run.agent == "publish/write/edit")
    drafts = [run for run in runs if run.agent == "editing/draft/draft"]
    # The inner loop ran draft three times, each a child run of edit's run, each output a
    # node below edit's input (the outline's node).
    assert [run.parent_run_id for run in drafts] == [edit_run.id] * 3
    outline = result.nodes[("write", "outline")]
    for run in drafts:
        path = await session.path(run.output_nodes[0])
        assert outline.hash_key in [node.hash_key for node in path]


async def test_network_in_state_example_decides_by_the_panel_and_records_its_messages() -> None:
    example = _load("network_in_state")
    hired = await example.main("Ada", 5)
    assert hired.result["letter"] == "Dear Ada, welcome aboard (2 votes)."
    assert hired.outputs[("decide", "panel")] == example.Verdict(
        candidate="Ada", hire=True, votes=2
    )
    path = await hired.session.path_messages("workflow-hiring-1/panel-1")
    assert [node.sender for node, _ in path][-4:] == ["hiring", "alice", "bob", "chair"]
    rejected = await example.main("Bo", 3)
    assert rejected.result["letter"] == "Dear Bo, thank you for applying."

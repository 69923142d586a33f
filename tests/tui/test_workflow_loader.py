"""`FILE.py:NAME` naming a Workflow: loaded as a workflow, refused (in one line) as an agent,
and listed among what a file offers."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.core.workflow import Workflow
from ramify.tui.agent_loader import AgentSpecError, load_agent_spec, load_target_spec
from ramify.tui.app_workflows import WorkflowInputError, parse_workflow_input

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workflows" / "streaming.py"


def test_a_workflow_spec_loads_as_the_workflow() -> None:
    target = load_target_spec(f"{EXAMPLE}:streaming")
    assert isinstance(target, Workflow)
    assert list(target.states) == ["draft", "review"]


def test_a_workflow_named_where_an_agent_is_needed_says_how_to_open_it() -> None:
    with pytest.raises(AgentSpecError) as caught:
        load_agent_spec(f"{EXAMPLE}:streaming")
    spec = f"{EXAMPLE}:streaming"
    assert str(caught.value) == (
        f"{spec!r} is a workflow, not an agent; open it with `ramify {spec}`"
    )


def test_a_missing_name_lists_the_workflows_the_file_defines() -> None:
    with pytest.raises(AgentSpecError) as caught:
        load_target_spec(f"{EXAMPLE}:nope")
    assert "agents in it: streaming" in str(caught.value)


def test_workflow_input_is_a_json_object_or_blank() -> None:
    assert parse_workflow_input('{"topic": "x"}') == {"topic": "x"}
    assert parse_workflow_input("  ") == {}
    with pytest.raises(WorkflowInputError, match="must be a JSON object"):
        parse_workflow_input("[1]")
    with pytest.raises(WorkflowInputError, match="is not JSON"):
        parse_workflow_input("{topic")

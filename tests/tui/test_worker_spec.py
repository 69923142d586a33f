"""`load_worker_spec`: what `ramify worker` serves for an agent spec or a workflow spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from ramify.tui.agent_loader import AgentSpecError, load_worker_spec

FLOWS = Path(__file__).resolve().parents[1] / "core" / "remote" / "remote_flows.py"
AGENTS = Path(__file__).resolve().parents[1] / "core" / "remote" / "remote_agents.py"


def test_a_workflow_spec_serves_one_agent_per_task() -> None:
    agents = load_worker_spec(f"{FLOWS}:article")
    assert [agent.alias for agent in agents] == [
        "article/write/plan",
        "article/write/draft",
        "article/write/review",
        "article/write/publish",
    ]


def test_an_agent_spec_serves_that_agent() -> None:
    assert [agent.alias for agent in load_worker_spec(f"{AGENTS}:echo")] == ["ECHO"]


def test_a_workflow_with_an_empty_state_is_refused_in_one_line(tmp_path: Path) -> None:
    source = tmp_path / "flows.py"
    source.write_text(
        "from ramify.core.workflow import Workflow\n"
        "empty = Workflow('empty')\n"
        "empty.state('idle')\n"
    )
    with pytest.raises(AgentSpecError) as caught:
        load_worker_spec(f"{source}:empty")
    assert "'empty' in" in str(caught.value)
    assert "has no task" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_neither_agent_nor_workflow_is_refused_in_one_line() -> None:
    with pytest.raises(AgentSpecError, match="not an agent"):
        load_worker_spec(f"{FLOWS}:Topic")

"""`copy_run`: a run record copied as `model_copy(deep=True)` copies it, only cheaper; and
`fresh_run` and run ids, the other cheap ways a workflow makes its records."""

from __future__ import annotations

import uuid

from ramify.core.runs import Run, RunStatus, RunUsage, copy_run, fresh_run


def _run() -> Run:
    run = Run(
        agent="echo",
        session_id="s",
        input_node="a" * 64,
        input_messages=["b" * 64],
        output_nodes=["c" * 64],
        status=RunStatus.DONE,
        usage=RunUsage(input_tokens=3, output_tokens=5, cost=0.01),
        pid=7,
        host="here",
    )
    run.timings["c" * 64] = "3:10"
    return run


def test_a_copied_run_equals_its_deep_copy_and_shares_nothing_mutable() -> None:
    run = _run()
    copy = copy_run(run)
    deep = run.model_copy(deep=True)
    assert type(copy) is Run
    assert copy == deep == run
    assert copy.model_fields_set == deep.model_fields_set
    assert copy.model_dump_json() == deep.model_dump_json()
    copy.input_messages.append("d" * 64)
    copy.output_nodes.append("d" * 64)
    copy.timings["d" * 64] = "1:1"
    assert copy.usage is not run.usage
    copy.usage.cost = 1.0
    copy.status = RunStatus.ERROR
    assert run == deep


def test_a_subclass_is_copied_deeply_the_general_way() -> None:
    class Tagged(Run):
        tags: list[str] = []

    run = Tagged(agent="echo", tags=["x"])
    copy = copy_run(run)
    assert type(copy) is Tagged
    copy.tags.append("y")
    assert run.tags == ["x"]


def test_a_fresh_run_is_the_run_its_values_build_with_a_new_id_and_shares_nothing() -> None:
    template = _run()
    fresh = fresh_run(template, agent="wf/state/task", input_node="d" * 64)
    built = Run(**{**template.model_dump(), "agent": "wf/state/task", "input_node": "d" * 64})
    assert fresh.id != template.id
    assert len(fresh.id) == len(template.id) == 32
    assert fresh.started_at >= template.started_at
    assert fresh.model_dump(exclude={"id", "started_at"}) == built.model_dump(
        exclude={"id", "started_at"}
    )
    assert fresh.model_fields_set == template.model_fields_set | {"agent", "input_node"}
    fresh.output_nodes.append("e" * 64)
    fresh.timings["e" * 64] = "1:1"
    assert template.output_nodes == ["c" * 64]
    assert "e" * 64 not in template.timings
    assert Run.model_validate_json(fresh.model_dump_json()) == fresh


def test_run_ids_are_distinct_uuid4_hex() -> None:
    ids = [Run(agent="a").id for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    for run_id in ids:
        parsed = uuid.UUID(hex=run_id)
        assert parsed.hex == run_id
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122

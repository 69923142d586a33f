"""The workflow DSL: edges, conditions, transitions, and definition-time errors."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from ramify.core.workflow import (
    Workflow,
    WorkflowDefinitionError,
    WorkflowRegistry,
    run_workflow,
)


class Num(BaseModel):
    n: int = 0


class A(BaseModel):
    a: int


class B(BaseModel):
    b: int


class C(BaseModel):
    c: int


def _three() -> tuple[Workflow, object, object, object]:
    wf = Workflow("w")
    s = wf.state("s")

    @s.task()
    def a(x: Num) -> A:
        return A(a=1)

    @s.task()
    def b(x: A) -> B:
        return B(b=2)

    @s.task()
    def c(x: A) -> C:
        return C(c=3)

    return wf, a, b, c


def test_edges_in_every_spelling() -> None:
    wf, a, b, c = _three()
    s = wf.states["s"]

    @s.task()
    def d(x: Num) -> Num:
        return x

    a >> b  # type: ignore[operator]
    c << [a]  # type: ignore[operator]
    [b, c] >> d  # type: ignore[operator]
    assert [t.name for t in s.tasks["b"].upstream] == ["a"]
    assert [t.name for t in s.tasks["c"].upstream] == ["a"]
    assert [t.name for t in s.tasks["d"].upstream] == ["b", "c"]


def test_chain_returns_the_last_task() -> None:
    wf, a, b, c = _three()
    assert (a >> b >> c) is c  # type: ignore[operator]
    assert [t.name for t in wf.states["s"].tasks["c"].upstream] == ["b"]


def test_cycle_is_refused_naming_workflow_state_task() -> None:
    _wf, a, b, c = _three()
    a >> b >> c  # type: ignore[operator]
    with pytest.raises(WorkflowDefinitionError, match=r"workflow 'w', state 's', task 'a'.*cycle"):
        c >> a  # type: ignore[operator]
    with pytest.raises(WorkflowDefinitionError, match="cycle"):
        a >> a  # type: ignore[operator]


def test_edge_to_unknown_task() -> None:
    wf, a, _b, _c = _three()
    other = wf.state("other")

    @other.task()
    def z(x: Num) -> Num:
        return x

    with pytest.raises(WorkflowDefinitionError, match=r"task 'nope'.*unknown task"):
        a >> "nope"  # type: ignore[operator]
    with pytest.raises(WorkflowDefinitionError, match=r"state 's', task 'z'.*unknown task"):
        a >> z  # type: ignore[operator]


def test_non_pydantic_annotations_are_refused() -> None:
    wf = Workflow("w")
    s = wf.state("s")
    with pytest.raises(WorkflowDefinitionError, match=r"workflow 'w', state 's', task 'f'.*input"):

        @s.task()
        def f(x: int) -> Num:
            return Num()

    with pytest.raises(WorkflowDefinitionError, match=r"task 'g'.*return annotation"):

        @s.task()
        def g(x: Num) -> dict:  # type: ignore[type-arg]
            return {}

    with pytest.raises(WorkflowDefinitionError, match=r"task 'h'.*return annotation"):

        @s.task()
        def h(x: Num):  # type: ignore[no-untyped-def]
            return Num()


def test_registry_is_explicit() -> None:
    wf, *_ = _three()
    registry = WorkflowRegistry()
    with pytest.raises(KeyError, match="no workflow named 'w'"):
        registry.get("w")
    registry.register(wf)
    assert registry.get("w") is wf
    with pytest.raises(WorkflowDefinitionError, match="different workflow"):
        registry.register(_three()[0])


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("big", "large"),
        ("~big", "small"),
        ("big & even", "large"),
        ("~big & even", "small"),
        ("big | even", "large"),
        ("~big | ~even", "small"),
    ],
)
async def test_condition_algebra_picks_transitions(expression: str, expected: str) -> None:
    # With n=4 both `big` (n > 3) and `even` hold.
    wf = Workflow("algebra")
    start = wf.state("start")
    large = wf.state("large", final=True)
    small = wf.state("small", final=True)

    @start.task()
    def keep(x: Num) -> Num:
        return x

    @start.condition()
    def big(result: Num) -> bool:
        return result.n > 3

    @start.condition()
    async def even(result: Num) -> bool:
        return result.n % 2 == 0

    for state in (large, small):

        @state.task(name=f"in_{state.name}")
        def mark(x: Num) -> Num:
            return x

    condition = eval(expression, {"big": big, "even": even})
    (start & condition) >> large
    start >> small  # the fallback, tried after the conditional ones
    result = await run_workflow(wf, Num(n=4))
    assert result.states == ["start", expected]


def test_fan_out_and_in_in_one_chain() -> None:
    wf, a, b, c = _three()
    s = wf.states["s"]

    @s.task()
    def d(x: Num) -> Num:
        return x

    assert (a >> [b, c] >> d) is d  # type: ignore[operator]
    assert [t.name for t in s.tasks["d"].upstream] == ["b", "c"]
    assert [t.name for t in s.tasks["b"].upstream] == ["a"]

"""Load a user's agent from ``path/to/file.py:name`` or ``module.path:name``.

Loading runs the user's file, as ``python file.py`` would (its folder goes first on
``sys.path`` so it can import its neighbours): the person asked for it by naming the file.
Session files are never run this way. Every failure is an `AgentSpecError` whose one-line
message says what to do.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, cast

from ramify.core import Agent
from ramify.core.net import Actor

if TYPE_CHECKING:
    from ramify.core.workflow import Workflow

__all__ = [
    "AgentSpecError",
    "agent_names",
    "load_agent_spec",
    "load_named_object",
    "load_target_spec",
    "load_worker_spec",
]

_USAGE = "expected path/to/file.py:name or module.path:name"
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


class AgentSpecError(ValueError):
    """An agent spec that cannot be loaded; the message is one line saying what to do."""


def load_agent_spec(spec: str) -> Agent:
    """The `Agent` named by `spec`: ``path/to/file.py:name`` or ``module.path:name``.

    A file is executed afresh on every call (a reload picks up edits); a module is imported
    the usual way. Raises `AgentSpecError` when the file or module is missing, is not Python,
    fails to import, lacks the name, or the name is not an `Agent`.
    """
    target, name, where = _load_target(spec)
    if _is_workflow(target):
        raise AgentSpecError(
            f"{spec.strip()!r} is a workflow, not an agent; open it with `ramify {spec.strip()}`"
        )
    return _as_agent(target, name, where)


def load_target_spec(spec: str) -> Agent | Workflow:
    """What `spec` names: an `Agent` (a network comes as its agent) or a `Workflow`.

    Raises `AgentSpecError` as `load_agent_spec` does for anything else.
    """
    target, name, where = _load_target(spec)
    if _is_workflow(target):
        return cast("Workflow", target)
    return _as_agent(target, name, where)


def _is_workflow(target: object) -> bool:
    # A file that made a Workflow imported the workflow package; one that did not is loaded
    # without importing it (worker and IDE start-up stay as fast as for agents alone).
    workflows = sys.modules.get("ramify.core.workflow")
    return workflows is not None and isinstance(target, workflows.Workflow)


def _as_agent(target: object, name: str, where: str) -> Agent:
    if isinstance(target, Actor):
        # A network (or a single actor) opens as the agent that runs it.
        target = target.as_agent()
    if not isinstance(target, Agent):
        raise AgentSpecError(
            f"{name!r} in {where} is {_kind(target)}, not an agent; {_hint(target)}"
        )
    return target


def load_worker_spec(spec: str) -> list[Agent]:
    """What `ramify worker` serves for `spec`: the agent it names, or, for a `Workflow`,
    one agent per task (``workflow/state/task``). Raises `AgentSpecError` as above."""
    target, name, where = _load_target(spec)
    if _is_workflow(target):
        from ramify.core.remote.tasks import workflow_agents
        from ramify.core.workflow import WorkflowDefinitionError

        try:
            return workflow_agents(cast("Workflow", target))
        except WorkflowDefinitionError as error:
            raise AgentSpecError(f"{name!r} in {where}: {error}") from None
    return [_as_agent(target, name, where)]


def _load_target(spec: str) -> tuple[object, str, str]:
    """The object `spec` names, its name and where it was found (for messages)."""
    return load_named_object(spec, "agent", _available)


def load_named_object(
    spec: str, noun: str, available: Callable[[ModuleType], str]
) -> tuple[object, str, str]:
    """The object `spec` names, its name, and how to name its file or module in messages.

    `noun` ("agent", "workflow") and `available` (what the module offers, for the message
    when the name is missing) word the `AgentSpecError`s.
    """
    text = spec.strip()
    if text.endswith(".py"):
        module, _ = _load_source(text)
        raise AgentSpecError(f"name the {noun} after a colon ({text}:NAME); {available(module)}")
    source, _, name = text.rpartition(":")
    if not source or not name:
        raise AgentSpecError(f"{spec!r}: {_USAGE}")
    if not all(part.isidentifier() for part in name.split(".")):
        raise AgentSpecError(f"{spec!r}: {name!r} is not a Python name; {_USAGE}")
    module, where = _load_source(source)
    target: object = module
    for part in name.split("."):
        if not hasattr(target, part):
            raise AgentSpecError(f"{where} has no {name!r}; {available(module)}")
        target = getattr(target, part)
    return target, name, where


def agent_names(module: ModuleType) -> list[str]:
    """Public names in `module` bound to agents (or workflows) defined (or forked) there, sorted.

    An agent imported as it is from another module (``from ramify.core import agent_loop``)
    is left out: it still loads by name, but it is not what the file offers.
    """
    names = []
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if _is_workflow(value):
            names.append(name)
            continue
        if not isinstance(value, Agent | Actor):
            continue
        target = value.target if isinstance(value, Agent) else type(value)
        home = sys.modules.get(getattr(target, "__module__", "") or "")
        if home is not None and home is not module and getattr(home, name, None) is value:
            continue
        names.append(name)
    return sorted(names)


def _load_source(source: str) -> tuple[ModuleType, str]:
    """The module for the part before the colon, and how to name it in messages."""
    path = Path(source).expanduser()
    if source.endswith(".py"):
        return _load_file(path), str(path)
    if path.is_dir():
        raise AgentSpecError(f"{source} is a folder; name a .py file in it: {source}/file.py:name")
    if path.exists():
        raise AgentSpecError(f"{source} is not a .py file; agents load from Python source files")
    if "/" in source or "\\" in source or not _DOTTED.fullmatch(source):
        raise AgentSpecError(f"file not found: {source}; check the path ({_USAGE})")
    return _import_module(source), f"module {source}"


def _load_file(path: Path) -> ModuleType:
    if not path.exists():
        raise AgentSpecError(f"file not found: {path}; check the path and the current folder")
    if not path.is_file():
        raise AgentSpecError(f"{path} is not a file; name a .py file")
    resolved = path.resolve()
    module_name = _module_name(resolved)
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise AgentSpecError(f"{path} cannot be loaded as Python source")
    module = importlib.util.module_from_spec(spec)
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    # Registered before running, as an import does, so the file's own dataclasses, pydantic
    # models and pickling can find their module.
    sys.modules[module_name] = module
    problem = None
    with warnings.catch_warnings():
        # A file that runs its agents at import hands a coroutine to an event loop that refuses
        # it; the coroutine is then never awaited, which is the problem reported below.
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        try:
            spec.loader.exec_module(module)
        except (Exception, SystemExit) as error:
            problem = _run_problem(path, error)
    # Raised once the failed call's frames, and any coroutine they held, are gone.
    if problem is not None:
        sys.modules.pop(module_name, None)
        raise AgentSpecError(problem)
    return module


def _run_problem(path: Path, error: BaseException) -> str:
    # The IDE loads agents inside its event loop, so `Ramify().run(...)` or `asyncio.run(...)`
    # at a file's top level is refused with a RuntimeError about the running loop.
    if isinstance(error, RuntimeError) and "event loop" in str(error):
        return (
            f"{path} runs its agents when imported; put `Ramify().run(...)` under "
            '`if __name__ == "__main__":`'
        )
    return f"running {path} raised {_one_line(error)}; fix it and retry"


def _module_name(path: Path) -> str:
    """A stable module name per file, so an agent's fingerprint (cache key) survives restarts."""
    stem = re.sub(r"\W", "_", path.stem)
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:8]
    return f"ramify_user_agents_{stem}_{digest}"


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name is not None and (name == error.name or name.startswith(error.name + ".")):
            raise AgentSpecError(
                f"no module named {error.name!r}; give a path to a .py file, or install the "
                "package that provides it"
            ) from None
        raise AgentSpecError(
            f"importing {name} raised {_one_line(error)}; fix it and retry"
        ) from None
    except (Exception, SystemExit) as error:
        raise AgentSpecError(
            f"importing {name} raised {_one_line(error)}; fix it and retry"
        ) from None


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _available(module: ModuleType) -> str:
    names = agent_names(module)
    if not names:
        return "it defines no @agent"
    return "agents in it: " + ", ".join(names)


def _kind(value: object) -> str:
    if inspect.iscoroutinefunction(value):
        return "an async function"
    if inspect.isfunction(value):
        return "a function"
    if inspect.isclass(value):
        return f"the class {value.__qualname__}"
    type_name = type(value).__name__
    article = "an" if type_name[:1].lower() in "aeiou" else "a"
    return f"{article} {type_name}"


def _hint(value: object) -> str:
    if inspect.iscoroutinefunction(value):
        return "decorate it with @agent (from ramify.core import agent)"
    return "name an object made with @agent or Agent.fork()"

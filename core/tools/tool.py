"""`@tool`: a Python function as a tool a model can call, its JSON schema from its type hints.

    @tool(read_only=True)
    def add(a: int, b: int) -> int:
        \"\"\"Add two integers.\"\"\"
        return a + b

The schema is the one pydantic builds for a model of the parameters (``extra`` keys
forbidden), and the same model checks a call's arguments before the function runs: a call
that does not match is refused (`ToolArgumentsError`), the function never called.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_type_hints, overload

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

__all__ = [
    "Tool",
    "ToolAnnotations",
    "ToolArgumentsError",
    "tool",
]


class ToolArgumentsError(ValueError):
    """A call's arguments are not JSON or do not match the tool's schema."""


@dataclass(frozen=True)
class ToolAnnotations:
    """What a tool does to the world, as MCP names it.

    ``read_only``: it changes nothing. ``destructive``: it may destroy or overwrite.
    ``open_world``: it reaches outside (network, other systems). A destructive or open-world
    tool is never executed again without an explicit confirmation (`reexecute`).
    """

    read_only: bool = False
    destructive: bool = False
    open_world: bool = False

    @property
    def has_side_effects(self) -> bool:
        """Whether running it again could change the world a second time."""
        return self.destructive or self.open_world


@dataclass(frozen=True)
class Tool:
    """A callable tool: name, description, parameter schema, annotations and the function."""

    name: str
    description: str
    function: Callable[..., Any]
    #: Checks a call's arguments; a tool described by a JSON schema alone (an MCP server's)
    #: has `input_schema` instead.
    arguments_model: type[BaseModel] | None = None
    annotations: ToolAnnotations = field(default_factory=ToolAnnotations)
    #: Seconds a call may run; None: the agent's ``tool_timeout``.
    timeout: float | None = None
    input_schema: Mapping[str, Any] | None = None

    @property
    def parameters(self) -> dict[str, Any]:
        """The JSON schema of the arguments (an object)."""
        if self.arguments_model is None:
            return dict(self.input_schema or {"type": "object", "properties": {}})
        schema = self.arguments_model.model_json_schema()
        schema.pop("title", None)
        return schema

    def parse_arguments(self, arguments: str) -> dict[str, Any]:
        """The keyword arguments for the function, from the JSON text a model wrote.

        Raises `ToolArgumentsError` naming what does not match; the function is not called.
        """
        text = arguments.strip() or "{}"
        if self.arguments_model is None:
            return self._parse_by_schema(text)
        try:
            validated = self.arguments_model.model_validate_json(text)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in issue['loc']) or 'arguments'}: {issue['msg']}"
                for issue in error.errors(include_url=False)
            )
            raise ToolArgumentsError(
                f"arguments do not match the schema of {self.name}: {problems}"
            ) from None
        return {name: getattr(validated, name) for name in type(validated).model_fields}

    def _parse_by_schema(self, text: str) -> dict[str, Any]:
        try:
            value = json.loads(text)
        except ValueError as error:
            raise ToolArgumentsError(
                f"arguments of {self.name} are not JSON: {error.args[0] if error.args else error}"
            ) from None
        if not isinstance(value, dict):
            raise ToolArgumentsError(f"arguments of {self.name} must be a JSON object")
        # jsonschema comes with the `mcp` extra, the only source of schema-only tools.
        import jsonschema  # type: ignore[import-untyped]

        problems = sorted(
            jsonschema.Draft202012Validator(self.parameters).iter_errors(value),
            key=lambda issue: list(issue.path),
        )
        if problems:
            text = "; ".join(
                f"{'.'.join(str(part) for part in issue.path) or 'arguments'}: {issue.message}"
                for issue in problems
            )
            raise ToolArgumentsError(f"arguments do not match the schema of {self.name}: {text}")
        return value

    def openai_spec(self) -> dict[str, Any]:
        """The entry for Chat Completions ``tools``."""
        function = {"name": self.name, "description": self.description}
        return {"type": "function", "function": {**function, "parameters": self.parameters}}

    def responses_spec(self) -> dict[str, Any]:
        """The entry for the Responses API ``tools``."""
        return {
            "type": "function",
            "name": self.name,
            "description": self.description,
            "parameters": self.parameters,
        }

    def anthropic_spec(self) -> dict[str, Any]:
        """The entry for Anthropic Messages ``tools``."""
        return {"name": self.name, "description": self.description, "input_schema": self.parameters}

    def fingerprint(self) -> str:
        """Name, description, schema and annotations as one canonical JSON text: what an
        agent's cache key must change with."""
        annotations = self.annotations
        return json.dumps(
            [
                self.name,
                self.description,
                self.parameters,
                [annotations.read_only, annotations.destructive, annotations.open_world],
            ],
            sort_keys=True,
            separators=(",", ":"),
        )


def _arguments_model(function: Callable[..., Any], name: str) -> type[BaseModel]:
    signature = inspect.signature(function)
    hints = get_type_hints(function)
    fields: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise TypeError(f"tool {name}: *args and **kwargs have no JSON schema")
        if parameter.name not in hints:
            raise TypeError(f"tool {name}: parameter {parameter.name!r} needs a type hint")
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[parameter.name] = (hints[parameter.name], default)
    model: type[BaseModel] = create_model(
        f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
    )
    return model


def _make_tool(
    function: Callable[..., Any],
    *,
    name: str | None,
    description: str | None,
    read_only: bool,
    destructive: bool,
    open_world: bool,
    timeout: float | None,
) -> Tool:
    tool_name = name or function.__name__
    text = description if description is not None else inspect.getdoc(function) or ""
    return Tool(
        name=tool_name,
        description=text,
        function=function,
        arguments_model=_arguments_model(function, tool_name),
        annotations=ToolAnnotations(
            read_only=read_only, destructive=destructive, open_world=open_world
        ),
        timeout=timeout,
    )


@overload
def tool(function: Callable[..., Any], /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    read_only: bool = False,
    destructive: bool = False,
    open_world: bool = False,
    timeout: float | None = None,
) -> Callable[[Callable[..., Any]], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    read_only: bool = False,
    destructive: bool = False,
    open_world: bool = False,
    timeout: float | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a plain or ``async`` function a `Tool` (``@tool`` or ``@tool(read_only=True)``).

    Args:
        name: the name the model calls it by (default: the function's name).
        description: what the model is told it does (default: the docstring).
        read_only, destructive, open_world: its `ToolAnnotations`.
        timeout: seconds a call may run (default: the agent's ``tool_timeout``).
    """

    def wrap(target: Callable[..., Any]) -> Tool:
        return _make_tool(
            target,
            name=name,
            description=description,
            read_only=read_only,
            destructive=destructive,
            open_world=open_world,
            timeout=timeout,
        )

    return wrap(function) if function is not None else wrap


def tools_by_name(tools: Mapping[str, Tool] | list[Tool] | tuple[Tool, ...]) -> dict[str, Tool]:
    """`tools` by name; two tools of one name are refused (the model could not tell them apart)."""
    items = list(tools.values()) if isinstance(tools, Mapping) else list(tools)
    found: dict[str, Tool] = {}
    for item in items:
        if not isinstance(item, Tool):
            raise TypeError(f"not a tool: {item!r} (decorate the function with @tool)")
        if item.name in found:
            raise ValueError(f"two tools are called {item.name!r}")
        found[item.name] = item
    return found

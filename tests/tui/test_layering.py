"""The IDE's layering rules, checked on the source: the app talks to the controller, widgets do
no I/O, and workers post messages instead of touching widgets."""

from __future__ import annotations

import ast
from pathlib import Path

import ramify.tui

TUI = Path(ramify.tui.__file__).parent
STORE_METHODS = {
    "put_nodes", "put_node", "put_message", "get_message", "get_messages", "get_node",
    "children", "path", "search", "get_ref", "list_refs", "move_ref", "reflog", "put_session",
    "get_session", "list_sessions", "put_run", "get_run", "list_runs", "session_nodes",
    "find_run", "count_nodes",
}  # fmt: skip


def _calls_on_store(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in STORE_METHODS
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr == "store"
        ):
            found.append(f"line {node.lineno}: .store.{node.func.attr}()")
    return found


def test_the_app_never_calls_the_store_directly() -> None:
    tree = ast.parse((TUI / "app.py").read_text(encoding="utf-8"))
    assert _calls_on_store(tree) == []


def test_widgets_import_nothing_that_does_io() -> None:
    for file in sorted((TUI / "widgets").glob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("ramify.core"), f"{file.name}: {node.module}"
                assert node.module != "ramify.tui.controller", file.name


def _worker_methods(tree: ast.AST) -> list[ast.AsyncFunctionDef]:
    workers = []
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Name) and target.id == "work":
                    workers.append(node)
    return workers


def test_app_workers_post_messages_and_never_touch_widgets() -> None:
    tree = ast.parse((TUI / "app.py").read_text(encoding="utf-8"))
    workers = _worker_methods(tree)
    assert {w.name for w in workers} >= {"_drive", "_load_session", "_replay"}
    for worker in workers:
        for node in ast.walk(worker):
            if isinstance(node, ast.Attribute) and node.attr in {
                "query_one", "query", "mount", "remove", "update", "refresh",
            }:  # fmt: skip
                raise AssertionError(f"worker {worker.name} touches widgets ({node.attr})")
